-- tables: t=texts.csv
-- the empty string is a value, not NULL
SELECT k, COALESCE(txt, 'dflt') AS a, COALESCE(txt, NULL) AS b FROM t WHERE k IN (5, 6) ORDER BY k
