-- @: value
SELECT * FROM t
