-- tables: p=people.csv c=cities.csv
-- 'berlin' (alice) does not equal 'Berlin'; Dave's NULL city matches nothing
SELECT c.*, p.name FROM p JOIN c ON p.city = c.city ORDER BY p.id
