-- tables: p=people.csv
SELECT name, score FROM p ORDER BY 2, 1
