-- tables: p=people.csv
SELECT SUM(score) AS s, AVG(score) AS a, MIN(score) AS lo, MAX(score) AS hi FROM p
