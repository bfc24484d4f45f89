-- tables: p=people.csv o=orders.csv
SELECT COUNT(*) AS n FROM p INNER JOIN o ON o.pid = p.id
