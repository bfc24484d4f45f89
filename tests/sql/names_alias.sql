-- tables: p=people.csv
-- alias with and without AS
SELECT name AS who, age yrs FROM p WHERE id = 2
