-- tables: p=people.csv
-- with GROUP BY and no rows there are no groups
SELECT city, COUNT(*) AS n FROM p WHERE age > 1000 GROUP BY city
