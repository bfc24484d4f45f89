-- tables: p=people.csv
-- exit: 4
SELECT born + 1 AS r FROM p
