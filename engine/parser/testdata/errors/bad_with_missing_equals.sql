CREATE STREAM trades WITH ('topic' 'trades')
