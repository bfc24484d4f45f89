-- tables: one=one.csv
SELECT x FROM one ;  
