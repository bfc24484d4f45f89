-- tables: m=mixed.csv
-- 1 and 2.5 in one column: float, so 1 prints as 1.0
SELECT a FROM m ORDER BY a
