-- tables: p=people.csv
SELECT city FROM p GROUP BY city HAVING SUM(age) > 50 ORDER BY city
