-- EMIT CHANGES: a row per input record, with the updated aggregate of the
-- record's window and group; window_start is selected, window_end appended.
SELECT window_start, symbol, COUNT(*) AS trades, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, 1m)
EMIT CHANGES
