-- tables: p=people.csv
SELECT * FROM p ORDER BY id
