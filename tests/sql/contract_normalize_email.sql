-- tables: contacts=contacts.csv
-- contract: contract.json
-- normalize email: trimmed, lowercased, SHA-256; a value of 64 hex digits is taken as the hash
-- (an interpretation of 'an id that is neither 64 hex digits nor normalisable' in docs/SQL.md)
SELECT tag, email FROM contacts ORDER BY tag
