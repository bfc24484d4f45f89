-- tables: visits=visits.csv
-- contract: contract.json
-- format: json
-- ids are JSON strings
SELECT email, views, spend FROM visits WHERE views > 0 ORDER BY day
