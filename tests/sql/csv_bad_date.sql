-- tables: visits=visits_baddate.csv
-- contract: contract.json
-- exit: 1
-- 2026-02-30 is not a real date
SELECT day FROM visits
