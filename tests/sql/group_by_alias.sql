-- tables: p=people.csv
SELECT city AS town, COUNT(*) AS n FROM p GROUP BY town ORDER BY town
