-- tables: one=one.csv
-- Python's repr keeps the sign of zero
SELECT -0.0 AS a, 0.0 * -1 AS b FROM one
