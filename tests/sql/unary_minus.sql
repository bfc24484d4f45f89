-- tables: p=people.csv
SELECT -age AS a, - balance AS b, -score AS c, -(-3) AS d FROM p WHERE id = 5
