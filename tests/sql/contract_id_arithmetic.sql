-- tables: visits=visits.csv
-- contract: contract.json
-- exit: 4
SELECT email + 1 AS r FROM visits
