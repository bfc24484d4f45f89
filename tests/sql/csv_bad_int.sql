-- tables: visits=visits_badint.csv
-- contract: contract.json
-- exit: 1
-- 12x is not an int
SELECT views FROM visits
