-- tables: one=one.csv
-- C collation: uppercase before lowercase, UTF-8 bytes above ASCII
SELECT 'B' < 'a' AS a, 'ab' < 'abc' AS b, 'café' > 'cafz' AS c, 'Z' < 'a' AS d, '' < ' ' AS e FROM one
