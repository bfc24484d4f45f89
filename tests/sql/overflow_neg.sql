-- tables: n=nums.csv
-- exit: 1
-- -(-9223372036854775808) does not fit in 64 bits
SELECT -i AS r FROM n WHERE n = 6
