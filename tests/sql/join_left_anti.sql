-- tables: p=people.csv o=orders.csv
SELECT p.name FROM p LEFT JOIN o ON p.id = o.pid WHERE o.oid IS NULL ORDER BY p.name
