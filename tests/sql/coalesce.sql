-- tables: p=people.csv
SELECT id, COALESCE(age, balance, 0) AS a, COALESCE(city, 'none') AS c FROM p ORDER BY id
