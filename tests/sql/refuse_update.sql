-- tables: one=one.csv
-- exit: 4
UPDATE one SET x = 2
