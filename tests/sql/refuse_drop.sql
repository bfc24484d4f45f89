-- tables: one=one.csv
-- exit: 4
DROP TABLE one
