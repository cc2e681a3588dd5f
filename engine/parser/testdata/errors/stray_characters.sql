SELECT price ! 2, price ? 3 FROM trades
