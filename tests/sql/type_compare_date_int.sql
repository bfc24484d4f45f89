-- tables: p=people.csv
-- exit: 4
SELECT name FROM p WHERE born > 5
