SELECT "price FROM trades
