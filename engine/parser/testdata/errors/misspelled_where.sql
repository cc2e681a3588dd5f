SELECT * FROM trades WHER price > 100
