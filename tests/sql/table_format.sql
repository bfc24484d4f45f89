-- tables: p=people.csv
-- format: table
-- the layout is not specified: the runner checks the cells line by line, NULL shown as NULL
SELECT name, age, city FROM p WHERE id IN (1, 2, 4) ORDER BY id
