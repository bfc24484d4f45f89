-- tables: p=people.csv
-- exit: 4
-- an invalid date string compared with a date is an error in the query: exit 4
SELECT name FROM p WHERE born > '1990-13-01'
