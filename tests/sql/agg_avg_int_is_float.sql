-- tables: o=orders.csv
SELECT AVG(qty) AS a FROM o WHERE oid IN (100, 101)
