-- tables: p=people.csv
-- format: json
-- compared as JSON values (the layout is not specified)
SELECT id, name, city, age, score, born FROM p WHERE id IN (1, 2, 4) ORDER BY id
