-- tables: p=people.csv
SELECT balance + age AS s, balance - age AS d, balance * age AS m FROM p WHERE id IN (1, 3, 5) ORDER BY id
