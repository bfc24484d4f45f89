-- tables: p=people.csv s=scores.csv
-- Dave has a NULL city on both sides: no match
SELECT p.name, s.pts FROM p JOIN s ON p.name = s.name AND p.city = s.city ORDER BY s.pts
