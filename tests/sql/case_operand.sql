-- tables: p=people.csv
-- CASE x WHEN v compares x = v: a NULL city matches no WHEN, not even WHEN NULL
SELECT name, CASE city WHEN 'Paris' THEN 'FR' WHEN 'London' THEN 'UK' WHEN NULL THEN 'null!' ELSE '?' END AS cc FROM p ORDER BY id
