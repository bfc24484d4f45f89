-- tables: p=people.csv
-- SQLite's LIKE ignores ASCII case by default; the spec's (and DuckDB's) does not
SELECT name FROM p WHERE name LIKE 'A%' ORDER BY id
