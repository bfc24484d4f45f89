-- tables: p=people.csv
-- exit: 4
-- NULLS FIRST/LAST is not in the grammar
SELECT name FROM p ORDER BY age NULLS FIRST
