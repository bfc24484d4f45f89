-- tables: p=people.csv
-- bounds are inclusive
SELECT name, age FROM p WHERE age BETWEEN 29 AND 41 ORDER BY id
