-- tables: n=nums.csv
-- CSV spellings .5 3. -2e-3 read as floats; printed as Python's repr
SELECT n, f FROM n ORDER BY n
