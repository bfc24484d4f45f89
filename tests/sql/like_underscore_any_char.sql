-- tables: t=texts.csv
-- _ matches any one character, the backslash of 'a\b' too
SELECT k FROM t WHERE txt LIKE 'a_b' ORDER BY k
