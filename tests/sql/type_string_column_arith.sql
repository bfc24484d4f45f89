-- tables: p=people.csv
-- exit: 4
SELECT name * 2 AS r FROM p
