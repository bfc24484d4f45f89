-- tables: v=bools.csv
-- three-valued AND: NULL AND FALSE is FALSE, NULL AND TRUE is NULL
SELECT a, b, a = 1 AND b = 1 AS r FROM v ORDER BY a, b
