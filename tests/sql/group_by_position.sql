-- tables: p=people.csv
SELECT city, COUNT(*) AS n FROM p GROUP BY 1 ORDER BY 2 DESC, 1
