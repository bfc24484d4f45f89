-- tables: t=texts.csv
-- no escape character: \ is literal, so the pattern is 'anything, a backslash, anything'
-- (PostgreSQL would read \% as a literal % and match k = 9 instead)
SELECT k FROM t WHERE txt LIKE '%\%' ORDER BY k
