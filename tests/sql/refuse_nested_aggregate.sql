-- tables: p=people.csv
-- exit: 4
SELECT SUM(COUNT(*)) AS s FROM p GROUP BY city
