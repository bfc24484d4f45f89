-- tables: p=people.csv
-- over no rows without GROUP BY: one row, COUNT 0, the others NULL
SELECT COUNT(*) AS n, COUNT(age) AS c, SUM(age) AS s, AVG(age) AS a, MIN(name) AS lo, MAX(born) AS hi, COUNT(DISTINCT city) AS d FROM p WHERE age > 1000
