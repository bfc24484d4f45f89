-- tables: p=people.csv
-- exit: 4
-- MIN and MAX work on every type but bool
SELECT MIN(age > 30) AS m FROM p
