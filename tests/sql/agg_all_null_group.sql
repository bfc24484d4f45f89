-- tables: p=people.csv
SELECT city, SUM(balance) AS s, COUNT(balance) AS c FROM p WHERE city IS NULL GROUP BY city
