-- tables: one=one.csv
-- exit: 4
CREATE TABLE z (a int)
