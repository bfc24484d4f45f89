-- tables: visits=visits.csv buys=buys.csv
-- contract: contract.json
-- ids compare as 32 bytes: upper- and lower-case hex of the same id are equal
SELECT b.category, v.zip FROM visits v JOIN buys b ON v.email = b.email ORDER BY v.day
