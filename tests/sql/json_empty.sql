-- tables: p=people.csv
-- format: json
SELECT name FROM p WHERE id = 0
