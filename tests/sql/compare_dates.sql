-- tables: p=people.csv
SELECT name FROM p WHERE born < DATE '1990-01-01' ORDER BY born
