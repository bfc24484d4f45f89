-- tables: one=one.csv
-- exit: 4
SELECT x FROM one UNION ALL SELECT x FROM one
