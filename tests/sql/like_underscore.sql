-- tables: p=people.csv
SELECT name FROM p WHERE name LIKE '_ve' OR name LIKE 'B_b' ORDER BY id
