-- tables: p=people.csv
-- exit: 4
SELECT name FROM p ORDER BY name LIMIT 2 OFFSET 1
