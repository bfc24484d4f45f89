-- tables: p=people.csv
SELECT name FROM p ORDER BY id LIMIT 100
