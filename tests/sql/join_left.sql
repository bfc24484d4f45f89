-- tables: p=people.csv o=orders.csv
-- Frank's order has a NULL item; Eve and alice are padded
SELECT p.name, o.oid, o.item FROM p LEFT JOIN o ON p.id = o.pid ORDER BY p.id, o.oid
