-- tables: p=people.csv
-- names are the expression text as written (spacing kept), as SQLite does
SELECT age + 1, age*2, -age, 'lit', 3 FROM p WHERE id = 1
