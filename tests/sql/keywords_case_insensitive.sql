-- tables: p=people.csv
-- keywords, the table name, a column and an alias in other cases
select NAME as n fRoM P wHeRe Id = 1 order BY N
