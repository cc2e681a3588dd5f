-- The third record (00:00:50) arrives after the watermark reached 00:01:05,
-- so its only window [00:00, 00:01) has closed: it is late, not counted.
SELECT k, COUNT(*) AS n
FROM events
GROUP BY k
WINDOW TUMBLING(ts, 1m)
