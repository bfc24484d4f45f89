-- tables: visits=visits.csv
-- contract: contract.json
-- the contract makes zip a string (leading 0 kept) and spend a float (7 prints 7.0)
SELECT zip, spend FROM visits ORDER BY day
