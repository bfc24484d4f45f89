-- tables: p=people.csv
SELECT age + 1, COUNT(*) FROM p GROUP BY age + 1 ORDER BY 1
