-- tables: p=people.csv o=orders.csv
-- order 104 (NULL pid) and 105 (pid 9, nobody) have no partner
SELECT p.name, o.oid FROM p JOIN o ON p.id = o.pid ORDER BY o.oid
