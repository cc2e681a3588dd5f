SELECT * FROM trades WITH 'sink' = 'stdout'
