-- The third record (00:00:25) arrives out of order but within the allowed
-- delay and bridges the sessions [00:00, 00:30) and [00:50, 01:20): they
-- merge into one.
SELECT user_id, COUNT(*) AS clicks
FROM clicks
GROUP BY user_id
WINDOW SESSION(ts, 30s)
WITH ('clicks.watermark.max_out_of_orderness' = '60s')
