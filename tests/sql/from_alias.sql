-- tables: p=people.csv
SELECT q.name FROM p q WHERE q.id = 2
