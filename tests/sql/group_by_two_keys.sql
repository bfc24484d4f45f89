-- tables: o=orders.csv
SELECT item, price, COUNT(*) AS n, SUM(qty) AS q FROM o GROUP BY item, price ORDER BY item, price
