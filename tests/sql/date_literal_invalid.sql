-- tables: one=one.csv
-- exit: 4
SELECT DATE '2026-02-30' AS d FROM one
