-- tables: visits=visits.csv
-- contract: contract.json
SELECT v.day AS a, w.day AS b FROM visits v JOIN visits w ON v.zip = w.zip WHERE v.email <> w.email ORDER BY a
