-- tables: q=blank_lines.csv
-- empty lines (in the middle and at the end) are skipped
SELECT a, b FROM q ORDER BY a
