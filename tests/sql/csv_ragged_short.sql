-- tables: r=bad_ragged_short.csv
-- exit: 1
SELECT a FROM r
