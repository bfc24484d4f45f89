-- tables: p=people.csv
-- exit: 4
SELECT AVG(DISTINCT age) AS s FROM p
