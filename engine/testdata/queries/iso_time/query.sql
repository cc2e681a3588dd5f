-- event.time.field and an ISO 8601 event.time.format instead of a window column.
SELECT k, COUNT(*) AS n
FROM events
GROUP BY k
WINDOW TUMBLING(1m)
WITH ('events.event.time.field' = 'ts', 'events.event.time.format' = 'iso8601')
