"""Version 1 of the data-sharing consent REST API."""
