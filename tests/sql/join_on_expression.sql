-- tables: p=people.csv o=orders.csv
SELECT p.id, o.oid FROM p JOIN o ON p.id + 100 = o.oid ORDER BY p.id
