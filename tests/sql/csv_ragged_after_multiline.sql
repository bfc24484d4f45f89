-- tables: r=bad_ragged_after_multiline.csv
-- exit: 1
-- line numbers count lines of the file: the quoted field of record 2 spans lines 2-3
SELECT a FROM r
