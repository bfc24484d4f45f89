-- tables: p=people.csv
SELECT city, COUNT(*) AS n FROM p GROUP BY city ORDER BY city
