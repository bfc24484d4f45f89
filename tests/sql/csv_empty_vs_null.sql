-- tables: t=texts.csv
SELECT k, txt, note FROM t WHERE k IN (5, 6) ORDER BY k
