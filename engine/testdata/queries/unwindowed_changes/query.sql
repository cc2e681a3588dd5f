-- Without a window the default is EMIT CHANGES: a running total per group.
SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
