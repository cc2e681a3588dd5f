SELEC * FROM trades
