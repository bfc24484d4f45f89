-- tables: p=people.csv
-- Dave's NULL city: NULL NOT LIKE is NULL
SELECT name FROM p WHERE city NOT LIKE '%on%' ORDER BY id
