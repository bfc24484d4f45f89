-- tables: p=people.csv
SELECT name, age FROM p ORDER BY id
