-- tables: e=empty.csv
SELECT COUNT(*) AS n, MIN(a) AS lo FROM e
