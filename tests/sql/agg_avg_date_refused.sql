-- tables: p=people.csv
-- exit: 4
-- not spelled out in docs/SQL.md; refused as PostgreSQL and DuckDB do
SELECT AVG(born) AS a FROM p
