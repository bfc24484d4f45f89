-- tables: one=one.csv
-- 1e3 is a float literal, printed as Python's repr: 1000.0
SELECT 42 AS i, -7 AS neg, 1.5 AS f, 1e3 AS e, 'x' AS s, DATE '2026-01-31' AS d, TRUE AS t, FALSE AS f2, NULL AS n FROM one
