-- tables: o=orders.csv
-- orders.csv ends its lines with CRLF: the last column is still a date
SELECT MAX(day) AS d, COUNT(*) AS n FROM o WHERE day >= DATE '2026-03-01'
