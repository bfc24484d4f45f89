-- tables: p=people.csv
SELECT id FROM p WHERE score IS NULL OR city IS NULL OR born IS NULL ORDER BY id
