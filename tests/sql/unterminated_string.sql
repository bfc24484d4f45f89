-- tables: p=people.csv
-- exit: 4
SELECT 'abc FROM p
