-- tables: one=one.csv
-- exit: 4
SELECT 'a' + 1 AS r FROM one
