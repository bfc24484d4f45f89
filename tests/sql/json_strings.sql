-- tables: t=texts.csv
-- format: json
SELECT k, txt FROM t WHERE k IN (3, 4, 5, 6, 7, 8) ORDER BY k
