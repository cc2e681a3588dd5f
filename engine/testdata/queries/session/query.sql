-- A session is a run of a user's records less than 30 s apart; it spans
-- [first record, last record + gap) and closes when the watermark gets there.
SELECT user_id, COUNT(*) AS clicks
FROM clicks
GROUP BY user_id
WINDOW SESSION(ts, 30s)
