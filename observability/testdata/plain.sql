-- No observability annotations: the engine's series still get a
-- ServiceMonitor and a dashboard.
CREATE STREAM trades (symbol STRING, price DOUBLE)
WITH ('trades.type' = 'file_source', 'trades.path' = 'trades.jsonl');
SELECT symbol, price FROM trades WHERE price > 100;
