SELECT (price + 1 FROM trades
