-- HAVING filters groups; ORDER BY sorts each window's final rows.
SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
HAVING COUNT(*) >= 2
WINDOW TUMBLING(ts, 1m)
ORDER BY volume DESC
