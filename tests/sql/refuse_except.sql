-- tables: one=one.csv
-- exit: 4
SELECT x FROM one EXCEPT SELECT x FROM one
