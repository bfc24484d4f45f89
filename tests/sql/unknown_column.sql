-- tables: p=people.csv
-- exit: 4
SELECT name, nosuch FROM p
