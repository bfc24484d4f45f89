-- tables: t=texts.csv
-- '' < ' sp ' < '50%' < 'a\b' < 'a_b' < 'café' < 'plain' < ... < NULL
SELECT k FROM t ORDER BY txt
