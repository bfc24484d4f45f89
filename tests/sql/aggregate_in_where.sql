-- tables: p=people.csv
-- exit: 4
SELECT name FROM p WHERE COUNT(*) > 1
