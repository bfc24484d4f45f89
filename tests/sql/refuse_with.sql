-- tables: one=one.csv
-- exit: 4
WITH q AS (SELECT x FROM one) SELECT x FROM q
