-- tables: p=people.csv
SELECT COUNT(*) AS all_rows, COUNT(age) AS ages, COUNT(DISTINCT age) AS distinct_ages, COUNT(city) AS cities, COUNT(DISTINCT city) AS distinct_cities FROM p
