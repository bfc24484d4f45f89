-- tables: one=one.csv
-- exit: 4
INSERT INTO one VALUES (2)
