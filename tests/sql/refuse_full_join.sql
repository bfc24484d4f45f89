-- tables: p=people.csv o=orders.csv
-- exit: 4
SELECT p.name FROM p FULL OUTER JOIN o ON p.id = o.pid
