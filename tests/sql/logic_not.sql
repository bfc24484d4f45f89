-- tables: v=bools.csv
SELECT a, NOT a = 1 AS r FROM v WHERE b = 1 ORDER BY a
