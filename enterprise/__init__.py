"""Enterprise learner management: customers, linked and pending learners, enrollments."""

__version__ = "0.1.0"
