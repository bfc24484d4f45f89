-- tables: p=people.csv
SELECT name FROM p WHERE '1999-12-31' = born
