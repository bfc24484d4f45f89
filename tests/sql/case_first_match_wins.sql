-- tables: one=one.csv
SELECT CASE WHEN x = 1 THEN 'first' WHEN x = 1 THEN 'second' END AS r FROM one
