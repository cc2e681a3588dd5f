-- With ORDER BY the event time, rows are numbered in event-time order: a
-- row waits until the watermark (largest time minus 2 s) reaches it, so e3
-- (00:02) is numbered before e2 (00:03). e5 (00:01) arrives when the
-- watermark is 00:04: it is late and dropped.
SELECT id, ROW_NUMBER() OVER (ORDER BY ts) AS rn
FROM events
WITH ('events.watermark.max_out_of_orderness' = '2s')
