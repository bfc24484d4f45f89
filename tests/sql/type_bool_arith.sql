-- tables: p=people.csv
-- exit: 4
SELECT (age > 1) + 1 AS r FROM p
