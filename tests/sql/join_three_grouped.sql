-- tables: p=people.csv o=orders.csv c=cities.csv
SELECT c.country, SUM(o.qty) AS units FROM o JOIN p ON o.pid = p.id JOIN c ON c.city = p.city GROUP BY c.country ORDER BY c.country
