-- tables: o=orders.csv
SELECT SUM(qty * price) AS revenue, SUM(qty) AS units FROM o
