-- tables: p=people.csv
-- exit: 4
SELECT name || 'x' AS a FROM p
