-- tables: n=nums.csv
-- exit: 1
-- SUM of int is int and overflow is an error (DuckDB's SUM would widen to int128)
SELECT SUM(i) AS s FROM n WHERE n IN (1, 5)
