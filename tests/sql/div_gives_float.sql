-- tables: p=people.csv
-- SQLite divides ints to an int (7 / 2 = 3); the spec's / gives float
SELECT age / 2 AS a, 7 / 2 AS b, 10 / 5 AS c, balance / age AS d FROM p WHERE id = 1
