-- tables: p=people.csv
-- Bob's NULL age makes no WHEN true: ELSE
SELECT name, CASE WHEN age >= 40 THEN 'old' WHEN age >= 30 THEN 'mid' ELSE 'young' END AS band FROM p ORDER BY id
