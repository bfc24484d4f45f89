-- tables: p=people.csv
SELECT COUNT(DISTINCT score) AS f, COUNT(DISTINCT born) AS d, COUNT(DISTINCT name) AS s FROM p
