SELECT * FROM trades WHERE symbol = ‘AAPL’
