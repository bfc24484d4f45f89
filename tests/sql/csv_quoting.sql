-- tables: t=texts.csv
-- RFC 4180 output: quote fields with , " CR LF; "" is the empty string, an empty field is NULL;
-- leading and trailing spaces are kept and need no quotes
SELECT k, txt FROM t ORDER BY k
