-- tables: one=one.csv
SELECT 1 + 1 IN (2) AS a, x + 1 BETWEEN 1 + 1 AND 2 AS b, NOT x IN (2) AS c, 'a' LIKE 'a' AND 'b' LIKE 'c' AS d, x BETWEEN 0 AND 2 AND TRUE AS e, x + 1 IS NULL AS f FROM one
