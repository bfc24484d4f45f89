-- tables: p=people.csv
-- exit: 4
-- not spelled out in docs/SQL.md; refused as PostgreSQL and DuckDB do (SUM is for numbers)
SELECT SUM(name) AS s FROM p
