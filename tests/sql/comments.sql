-- tables: p=people.csv
SELECT /* inline, with ; and 'quote' */ name -- to end of line; FROM nowhere
FROM p /* multi
line */ WHERE id = 1 -- the end
