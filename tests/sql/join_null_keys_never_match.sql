-- tables: o=orders.csv
-- self-join: order 104's NULL pid does not even match itself
SELECT a.oid AS a, b.oid AS b FROM o a JOIN o b ON a.pid = b.pid WHERE a.oid <= b.oid ORDER BY a.oid, b.oid
