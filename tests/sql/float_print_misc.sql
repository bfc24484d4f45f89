-- tables: one=one.csv
SELECT 1.0 * 3 AS a, 2.0 / 3 AS b, 1e15 AS c, 1e16 AS d, 0.0001 AS e, 0.00001 AS f, 123456789.125 AS g, 1e22 AS h, 1.5e-7 AS i FROM one
