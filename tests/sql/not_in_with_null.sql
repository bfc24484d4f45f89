-- tables: v=bools.csv
-- NOT IN (1, NULL) is never TRUE
SELECT a, a NOT IN (1, NULL) AS r FROM v WHERE b = 1 ORDER BY a
