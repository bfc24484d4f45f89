-- tables: v=bools.csv
SELECT COUNT(*) AS n FROM v WHERE a NOT IN (1, NULL)
