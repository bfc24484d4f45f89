-- tables: p=people.csv
-- exit: 4
SELECT city FROM p GROUP BY 2
