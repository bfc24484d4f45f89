-- tables: p=people.csv
-- division by zero gives NULL (DuckDB 1.5 gives inf by default: its ieee_floating_point_ops setting)
SELECT age / 0 AS a, score / 0.0 AS b, 0 / 0 AS c, age / (balance - 100) AS d, -score / 0 AS e FROM p WHERE id = 1
