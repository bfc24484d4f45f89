-- tables: m=mixed.csv
-- 10, 9, x: string, compared bytewise
SELECT b FROM m ORDER BY b
