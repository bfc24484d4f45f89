-- tables: one=one.csv
-- format: xml
-- exit: 2
SELECT x FROM one
