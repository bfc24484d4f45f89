-- tables: p=people.csv
-- exit: 4
SELECT SUM(DISTINCT age) AS s FROM p
