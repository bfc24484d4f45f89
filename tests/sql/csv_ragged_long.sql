-- tables: r=bad_ragged_long.csv
-- exit: 1
SELECT a FROM r
