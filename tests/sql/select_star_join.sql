-- tables: c=cities.csv s=scores.csv
-- * over a join: every column of each table, tables left to right; the name city appears twice
SELECT * FROM c JOIN s ON c.city = s.city ORDER BY s.pts
