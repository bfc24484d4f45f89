-- tables: r=bad_no_header.csv
-- exit: 1
-- an empty file has no header row
SELECT a FROM r
