-- tables: v=bools.csv
SELECT a, a NOT IN (1, 2) AS r FROM v WHERE b = 1 ORDER BY a
