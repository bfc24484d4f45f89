-- tables: p=people.csv
-- exit: 4
SELECT DISTINCT city FROM p
