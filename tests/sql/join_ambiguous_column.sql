-- tables: p=people.csv c=cities.csv
-- exit: 4
SELECT city FROM p JOIN c ON p.city = c.city
