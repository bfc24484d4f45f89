-- tables: one=one.csv
SELECT *, x + 1 AS y FROM one
