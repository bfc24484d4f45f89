-- tables: r=nosuch.csv
-- exit: 1
SELECT a FROM r
