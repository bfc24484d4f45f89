-- tables: one=one.csv
-- OR < AND < NOT < comparisons < + -: NOT TRUE OR TRUE is (NOT TRUE) OR TRUE
SELECT TRUE OR TRUE AND FALSE AS a, NOT TRUE AND FALSE AS b, NOT 1 = 2 AS c, 1 + 1 = 2 AS d, NOT TRUE OR TRUE AS e, (TRUE OR TRUE) AND FALSE AS f FROM one
