-- tables: v=bools.csv
-- x IN (1, NULL) is TRUE when x = 1, otherwise NULL
SELECT a, a IN (1, NULL) AS r FROM v WHERE b = 1 ORDER BY a
