-- tables: p=people.csv
-- exit: 4
SELECT abs(balance) AS a FROM p
