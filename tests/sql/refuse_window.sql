-- tables: p=people.csv
-- exit: 4
SELECT name, COUNT(*) OVER () AS n FROM p
