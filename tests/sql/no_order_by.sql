-- tables: p=people.csv
-- unordered
-- without ORDER BY the order of rows is unspecified
SELECT name, age FROM p WHERE city = 'Paris' OR age > 50
