-- tables: p=people.csv
-- a string literal compared with a date is read as a date
SELECT name FROM p WHERE born >= '1990-04-12' ORDER BY id
