-- tables: n=nums.csv
-- float literals are doubles (DuckDB would make 0.1 a DECIMAL and print 0.3)
SELECT f + 0.2 AS a, 0.1 + 0.2 AS b FROM n WHERE n = 6
