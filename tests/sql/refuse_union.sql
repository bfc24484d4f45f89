-- tables: one=one.csv
-- exit: 4
SELECT x FROM one UNION SELECT x FROM one
