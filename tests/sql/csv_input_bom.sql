-- tables: c=cities.csv
-- cities.csv starts with a UTF-8 BOM, which is not part of the first column's name
SELECT city, country FROM c ORDER BY pop
