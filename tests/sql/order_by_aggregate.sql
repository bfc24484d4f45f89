-- tables: p=people.csv
SELECT city, SUM(age) AS s FROM p GROUP BY city ORDER BY SUM(age) DESC
