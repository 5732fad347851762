"""The lead console's static files, as the console function serves them."""
