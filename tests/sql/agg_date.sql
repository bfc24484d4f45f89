-- tables: p=people.csv
SELECT MIN(born) AS lo, MAX(born) AS hi, COUNT(born) AS n FROM p
