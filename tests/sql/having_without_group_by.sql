-- tables: p=people.csv
SELECT COUNT(*) AS n FROM p HAVING COUNT(*) > 3
