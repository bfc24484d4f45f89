-- tables: p=people.csv
SELECT name FROM p WHERE score BETWEEN 60 AND 88.5 ORDER BY id
