-- tables: p=people.csv
-- exit: 4
-- there is no escape character, and no ESCAPE clause
SELECT name FROM p WHERE name LIKE 'a!%' ESCAPE '!'
