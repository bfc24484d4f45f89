-- tables: visits=visits.csv
-- contract: contract.json
SELECT zip, COUNT(DISTINCT email) AS ids, COUNT(*) AS n FROM visits GROUP BY zip ORDER BY zip
