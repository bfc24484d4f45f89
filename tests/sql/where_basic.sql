-- tables: p=people.csv
-- Bob's age is NULL: NULL > 30 is NULL, and WHERE keeps only TRUE
SELECT name FROM p WHERE age > 30 ORDER BY name
