-- tables: p=people.csv
-- NOT NULL is NULL: Bob is in neither this nor where_basic
SELECT name FROM p WHERE NOT age > 30 ORDER BY name
