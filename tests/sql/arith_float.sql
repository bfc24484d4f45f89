-- tables: p=people.csv
-- an int with a float operand gives a float, printed with .0 when whole
SELECT score + 1 AS a, score * age AS b, age + 0.5 AS c, age * 1.0 AS d FROM p WHERE id IN (1, 5) ORDER BY id
