-- tables: p=people.csv
SELECT id, age IS NULL AS a, age IS NOT NULL AS b FROM p WHERE id IN (1, 2) ORDER BY id
