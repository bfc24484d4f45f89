-- tables: p=people.csv one=one.csv
-- exit: 4
SELECT (SELECT x FROM one) AS s FROM p
