-- tables: one=one.csv
SELECT 2 + 3 * 4 AS a, (2 + 3) * 4 AS b, 10 - 4 - 3 AS c, 8 / 4 / 2 AS d, -2 * 3 AS e, 2 * -3 + 1 AS f FROM one
