-- tables: visits=visits_badid.csv
-- contract: contract.json
-- exit: 1
-- 63 hex digits: not an id
SELECT email FROM visits
