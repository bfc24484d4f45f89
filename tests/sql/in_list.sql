-- tables: p=people.csv
SELECT name FROM p WHERE age IN (29, 41, 1000) ORDER BY name
