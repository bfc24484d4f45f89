-- tables: p=people.csv o=orders.csv
-- exit: 4
-- ON takes equalities joined by AND only
SELECT p.name FROM p JOIN o ON p.id < o.pid
