-- tables: p=people.csv
-- the NULL group's SUM(balance) is NULL: not kept
SELECT city FROM p GROUP BY city HAVING SUM(balance) < 1000 ORDER BY city
