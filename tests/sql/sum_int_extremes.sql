-- tables: n=nums.csv
SELECT SUM(i) AS s FROM n WHERE n IN (5, 6)
