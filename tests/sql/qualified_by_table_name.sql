-- tables: p=people.csv
SELECT p.name FROM p WHERE p.id = 3
