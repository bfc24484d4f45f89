-- tables: p=people.csv
-- args: --threads 1
SELECT SUM(age) AS s, COUNT(DISTINCT city) AS c FROM p
