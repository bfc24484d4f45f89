-- tables: e=empty.csv
-- exit: 4
-- a column with no values is string: arithmetic on it is refused
SELECT a + 1 AS r FROM e
