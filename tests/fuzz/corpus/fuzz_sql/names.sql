SELECT coalesce(a, b, 0) / (x - y) * 2 AS "Odd ""name""" FROM "my table" AS "t t" -- trailing
/* block /* nested */ */