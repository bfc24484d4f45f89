-- tables: n=nums.csv
SELECT i * 1.0 + i * 1.0 AS r FROM n WHERE n = 5
