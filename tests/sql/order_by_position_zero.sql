-- tables: p=people.csv
-- exit: 4
SELECT city FROM p ORDER BY 0
