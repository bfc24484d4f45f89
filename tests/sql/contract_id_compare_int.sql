-- tables: visits=visits.csv
-- contract: contract.json
-- exit: 4
SELECT email FROM visits WHERE email = 1
