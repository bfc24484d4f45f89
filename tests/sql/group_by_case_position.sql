-- tables: p=people.csv
SELECT CASE WHEN age >= 35 THEN 'old' ELSE 'young' END AS band, COUNT(*) AS n FROM p GROUP BY 1 ORDER BY 1
