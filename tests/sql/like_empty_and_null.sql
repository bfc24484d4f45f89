-- tables: t=texts.csv
SELECT k, txt LIKE '' AS e, txt LIKE '%' AS a FROM t WHERE k IN (1, 5, 6) ORDER BY k
