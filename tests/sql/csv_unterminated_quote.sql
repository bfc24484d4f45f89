-- tables: r=bad_unterminated.csv
-- exit: 1
SELECT a FROM r
