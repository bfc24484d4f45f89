-- tables: p=people.csv o=orders.csv
-- exit: 4
SELECT p.name FROM p RIGHT JOIN o ON p.id = o.pid
