-- tables: one=one.csv
-- exit: 4
SELECT x FROM nosuch
