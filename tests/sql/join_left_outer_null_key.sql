-- tables: p=people.csv o=orders.csv
SELECT o.oid, p.name FROM o LEFT OUTER JOIN p ON o.pid = p.id ORDER BY o.oid
