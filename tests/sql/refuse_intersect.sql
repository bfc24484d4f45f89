-- tables: one=one.csv
-- exit: 4
SELECT x FROM one INTERSECT SELECT x FROM one
