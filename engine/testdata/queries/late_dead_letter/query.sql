-- Late, undecodable and timeless records all go to the dead-letter file, in
-- input order, with the reason; the good records' results are unchanged.
SELECT k, COUNT(*) AS n
FROM events
GROUP BY k
WINDOW TUMBLING(ts, 1m)
WITH ('events.late.data.strategy' = 'dead_letter',
      'events.dlq.path' = 'dead_letters.jsonl')
