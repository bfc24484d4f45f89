-- tables: one=one.csv
SELECT x AS "a,b", x AS "a b" FROM one
