-- tables: v=bools.csv
-- NULLs form one group
SELECT a, COUNT(*) AS n FROM v GROUP BY a ORDER BY a
