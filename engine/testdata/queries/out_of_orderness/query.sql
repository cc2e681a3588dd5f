-- With 10 s of allowed out-of-orderness the watermark trails the largest
-- event time by 10 s: the record at 00:00:58 still counts in [00:00, 00:01).
SELECT k, COUNT(*) AS n
FROM events
GROUP BY k
WINDOW TUMBLING(ts, 1m)
WITH ('events.watermark.max_out_of_orderness' = '10s')
