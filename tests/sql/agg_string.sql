-- tables: p=people.csv
SELECT MIN(name) AS lo, MAX(name) AS hi, MIN(city) AS c1, MAX(city) AS c2 FROM p
