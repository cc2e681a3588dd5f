SELECT symbol, COUNT(*) FROM trades GROUP BYY symbol
