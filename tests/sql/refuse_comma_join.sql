-- tables: p=people.csv o=orders.csv
-- exit: 4
-- a comma in FROM is a cross join: not in the grammar
SELECT p.name FROM p, o WHERE p.id = o.pid
