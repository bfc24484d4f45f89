-- tables: p=people.csv
SELECT age + NULL AS a, balance - age AS b, score * 2 AS c FROM p ORDER BY id
