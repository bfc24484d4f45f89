-- tables: t=texts.csv
-- k = 5 holds the empty string (quoted "" in the CSV), which is not NULL
SELECT k FROM t WHERE txt IS NULL
