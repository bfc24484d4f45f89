-- tables: q=no_final_newline.csv
SELECT a, b FROM q ORDER BY a
