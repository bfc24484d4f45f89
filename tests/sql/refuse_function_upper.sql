-- tables: p=people.csv
-- exit: 4
SELECT upper(name) AS u FROM p
