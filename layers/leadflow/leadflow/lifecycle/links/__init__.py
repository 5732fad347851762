"""The signed links in emails (`signing`) and the pages behind them (`pages`)."""
