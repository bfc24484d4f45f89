-- tables: p=people.csv o=orders.csv
-- exit: 4
SELECT p.name FROM p JOIN o ON p.name = o.pid
