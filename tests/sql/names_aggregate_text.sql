-- tables: p=people.csv
SELECT COUNT(*), count(age), Sum(age), MIN(p.age) FROM p
