-- tables: p=people.csv o=orders.csv
-- args: --threads 4
SELECT p.city, COUNT(*) AS n, SUM(o.qty) AS q FROM p LEFT JOIN o ON p.id = o.pid GROUP BY p.city ORDER BY p.city
