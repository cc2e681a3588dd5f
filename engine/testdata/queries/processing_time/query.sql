-- Without a time column or event.time.field, records are timed by the
-- processing clock (fixed by the test at 2023-11-14T22:13:20Z).
SELECT COUNT(*) AS n
FROM events
WINDOW TUMBLING(INTERVAL '1' MINUTE)
