-- tables: p=people.csv s=scores.csv
SELECT s.name, s.city, p.id FROM s LEFT JOIN p ON p.name = s.name AND p.city = s.city ORDER BY s.pts
