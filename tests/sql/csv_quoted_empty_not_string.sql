-- tables: q=quoted_empty.csv
-- a quoted empty field is the empty string in a string column and NULL elsewhere
SELECT n, d, s, n IS NULL AS nn, d IS NULL AS dn, s IS NULL AS sn FROM q ORDER BY s
