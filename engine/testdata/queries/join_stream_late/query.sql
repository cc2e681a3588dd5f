-- b1 (00:01) arrives after b5 (00:05), when the watermark is 00:03 (a is
-- at 00:03): it is late and goes to the dead-letter file, even though a0
-- was within a minute of it; a0 was dropped when the watermark passed 00:01.
SELECT a.v, b.w
FROM a JOIN b ON a.k = b.k WITHIN INTERVAL '1' MINUTE
WITH ('a.event.time.field' = 'ts', 'b.event.time.field' = 'ts',
      'b.late.data.strategy' = 'dead_letter', 'b.dlq.path' = 'late.jsonl')
