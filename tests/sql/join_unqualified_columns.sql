-- tables: p=people.csv o=orders.csv
SELECT name, item FROM p JOIN o ON id = pid WHERE oid = 102
