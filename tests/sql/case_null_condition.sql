-- tables: one=one.csv
SELECT CASE WHEN NULL THEN 'a' ELSE 'b' END AS r FROM one
