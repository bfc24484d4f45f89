-- tables: one=one.csv
-- exit: 4
DELETE FROM one
