-- tables: one=one.csv
SELECT 'it''s' AS s FROM one
