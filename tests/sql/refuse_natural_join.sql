-- tables: p=people.csv s=scores.csv
-- exit: 4
SELECT p.name FROM p NATURAL JOIN s
