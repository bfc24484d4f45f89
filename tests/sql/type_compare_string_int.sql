-- tables: p=people.csv
-- exit: 4
SELECT name FROM p WHERE name = 1
