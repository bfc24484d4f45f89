-- tables: one=one.csv
-- format: json
-- non-finite floats are null in JSON; booleans are JSON booleans
SELECT x = 1 AS t, x = 2 AS f, 1e308 * 10 AS big, x / 0 AS dz FROM one
