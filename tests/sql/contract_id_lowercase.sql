-- tables: visits=visits.csv
-- contract: contract.json
-- the second row's id is upper-case hex in the CSV; ids print as lowercase hex
SELECT email, day FROM visits ORDER BY day
