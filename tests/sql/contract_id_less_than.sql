-- tables: visits=visits.csv buys=buys.csv
-- contract: contract.json
-- exit: 4
-- id compares only with = and <>
SELECT COUNT(*) FROM visits v JOIN buys b ON v.email = b.email WHERE v.email < b.email
