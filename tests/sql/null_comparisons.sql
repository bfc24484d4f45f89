-- tables: p=people.csv
SELECT NULL = NULL AS a, 1 = NULL AS b, NULL <> 1 AS c, age > NULL AS d, age != NULL AS e FROM p WHERE id = 1
