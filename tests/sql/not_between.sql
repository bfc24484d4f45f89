-- tables: p=people.csv
-- Bob (NULL age) is in neither
SELECT name FROM p WHERE age NOT BETWEEN 29 AND 41 ORDER BY id
