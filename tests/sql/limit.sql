-- tables: p=people.csv
SELECT name FROM p ORDER BY name LIMIT 3
