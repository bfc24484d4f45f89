-- tables: p=people.csv
SELECT name FROM p WHERE age = 34.0 OR score = 95 ORDER BY id
