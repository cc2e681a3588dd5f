SELECT symbol FORM trades
