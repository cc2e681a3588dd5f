SELECT k, COUNT(*) AS n
FROM events
GROUP BY k
WINDOW TUMBLING(ts, 1m)
WITH ('events.event.time.format' = 'epoch_seconds')
