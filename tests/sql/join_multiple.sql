-- tables: p=people.csv o=orders.csv c=cities.csv
SELECT o.oid, p.name, c.country FROM o JOIN p ON o.pid = p.id LEFT JOIN c ON p.city = c.city ORDER BY o.oid
