-- tables: n=nums.csv
-- exit: 1
-- overflow is an error (exit 1), never a wrap-around; SQLite's + would turn it into a float
SELECT i - 1 AS r FROM n WHERE n = 6
