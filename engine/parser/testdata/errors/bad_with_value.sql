CREATE STREAM trades WITH ('topic' = (1))
