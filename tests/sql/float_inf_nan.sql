-- tables: one=one.csv
-- float arithmetic is IEEE: overflow gives inf, no error
SELECT 1e308 * 10 AS a, -1e308 * 10 AS b, 1e308 * 10 - 1e308 * 10 AS c FROM one
