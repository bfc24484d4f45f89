-- tables: p=people.csv
-- exit: 4
SELECT name, COUNT(*) FROM p GROUP BY city
