-- tables: n=nums.csv
-- CSV ints +7 and 007 print as 7
SELECT n, i FROM n ORDER BY n
