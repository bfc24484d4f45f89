-- tables: p=people.csv
-- NULL sorts as larger than every value: last with ASC, first with DESC (SQLite: smallest; DuckDB: last)
SELECT city, name FROM p ORDER BY city DESC, name ASC
