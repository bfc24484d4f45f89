-- tables: p=people.csv
-- x BETWEEN lo AND hi is x >= lo AND x <= hi (age = 34), so reversed bounds match nothing
SELECT age BETWEEN 1 AND NULL AS a, age BETWEEN 50 AND 10 AS b, NULL BETWEEN 1 AND 2 AS c, age BETWEEN 40 AND NULL AS d FROM p WHERE id = 1
