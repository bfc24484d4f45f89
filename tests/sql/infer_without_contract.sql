-- tables: visits=visits.csv
-- without a contract zip is inferred as int (01234 -> 1234); compare contract_types
SELECT zip, spend FROM visits ORDER BY day
