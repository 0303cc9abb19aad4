"""Version 1 of the channel framework REST API: configurations, runs, run now."""
