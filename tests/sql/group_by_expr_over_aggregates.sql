-- tables: p=people.csv
SELECT city, COUNT(*) * 10 AS n10, MAX(age) - MIN(age) AS spread FROM p GROUP BY city ORDER BY city
