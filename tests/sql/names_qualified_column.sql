-- tables: p=people.csv o=orders.csv
-- a plain column, qualified or not, is named by its column name
SELECT p.name, o.item FROM p JOIN o ON p.id = o.pid WHERE o.oid = 100
