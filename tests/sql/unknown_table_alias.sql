-- tables: p=people.csv
-- exit: 4
SELECT q.name FROM p
