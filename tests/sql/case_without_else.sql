-- tables: p=people.csv
SELECT name, CASE WHEN age > 40 THEN age END AS old FROM p ORDER BY id
