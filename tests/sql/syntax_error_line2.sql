-- tables: p=people.csv
-- exit: 4
SELECT name,
  age FROM p ORDER age
