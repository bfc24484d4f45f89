-- tables: p=people.csv
-- exit: 4
SELECT age::float AS a FROM p
