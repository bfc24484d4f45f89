-- tables: p=people.csv
SELECT name FROM p WHERE city IN ('Paris', 'berlin') ORDER BY name
