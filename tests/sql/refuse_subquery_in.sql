-- tables: p=people.csv o=orders.csv
-- exit: 4
SELECT name FROM p WHERE id IN (SELECT pid FROM o)
