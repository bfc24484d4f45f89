-- tables: t=texts.csv
SELECT k FROM t WHERE txt LIKE 'two%lines'
