-- tables: p=people.csv
-- NULL sorts as larger than every value: last with ASC, first with DESC (SQLite: smallest; DuckDB: last)
SELECT name, age FROM p ORDER BY age, name
