-- tables: p=people.csv
-- AVG is always float
SELECT SUM(age) AS s, AVG(age) AS a, MIN(age) AS lo, MAX(age) AS hi FROM p
