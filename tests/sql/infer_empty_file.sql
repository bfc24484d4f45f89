-- tables: e=empty.csv
SELECT a, b FROM e
