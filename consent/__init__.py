"""Data-sharing consent: whether a learner lets their customer receive their course data."""
