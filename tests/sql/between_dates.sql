-- tables: p=people.csv
SELECT name FROM p WHERE born BETWEEN DATE '1985-01-01' AND DATE '1990-04-12' ORDER BY id
