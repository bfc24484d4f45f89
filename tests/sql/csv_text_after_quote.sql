-- tables: r=bad_after_quote.csv
-- exit: 1
SELECT a FROM r
