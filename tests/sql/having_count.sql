-- tables: p=people.csv
SELECT city, COUNT(*) AS n FROM p GROUP BY city HAVING COUNT(*) >= 2 ORDER BY city
