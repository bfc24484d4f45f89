-- tables: m=mixed.csv
-- dates mixed with other text or ints make a string column
SELECT c, d FROM m WHERE c > 'a' OR d = '7' ORDER BY c
