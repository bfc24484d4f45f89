-- tables: p=people.csv
SELECT name FROM p ORDER BY -balance, name
