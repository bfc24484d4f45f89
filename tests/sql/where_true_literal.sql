-- tables: one=one.csv
SELECT x FROM one WHERE TRUE AND NOT FALSE
