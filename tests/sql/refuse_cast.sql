-- tables: p=people.csv
-- exit: 4
SELECT CAST(age AS float) AS a FROM p
