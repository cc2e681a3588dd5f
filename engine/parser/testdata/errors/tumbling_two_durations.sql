SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WINDOW TUMBLING(5m, 1m)
