-- tables: odd=odd.csv
-- a name with a space, a keyword as a name, a quoted alias with a comma (quoted in the CSV header)
SELECT "order id", "from", total AS "Total, USD" FROM odd ORDER BY "order id"
