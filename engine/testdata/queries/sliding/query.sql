-- Two-minute windows every minute, aligned to the epoch: each record is in
-- two windows; windows close in order as the watermark passes their ends.
SELECT COUNT(*) AS n
FROM events
WINDOW SLIDING(ts, INTERVAL '2' MINUTE, INTERVAL '1' MINUTE)
