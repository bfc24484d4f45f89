-- tables: p=people.csv
SELECT name AS who, balance AS b FROM p ORDER BY b DESC
