-- tables: n=nums.csv
SELECT n, i + 0 AS a, i - 0 AS b, i * 1 AS c FROM n WHERE n IN (5, 6) ORDER BY n
