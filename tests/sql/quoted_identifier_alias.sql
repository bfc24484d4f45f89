-- tables: odd=odd.csv
SELECT "o"."from" FROM odd "o" WHERE "o"."order id" = 2
