SELECT * /* all columns
FROM trades
