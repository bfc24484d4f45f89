-- tables: one=one.csv
-- exit: 4
-- FROM is required by the grammar
SELECT 1 AS x
