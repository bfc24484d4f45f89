-- tables: v=bools.csv
-- three-valued OR: NULL OR TRUE is TRUE, NULL OR FALSE is NULL
SELECT a, b, a = 1 OR b = 1 AS r FROM v ORDER BY a, b
