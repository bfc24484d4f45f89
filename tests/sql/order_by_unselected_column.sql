-- tables: p=people.csv
SELECT name FROM p ORDER BY born DESC, id
