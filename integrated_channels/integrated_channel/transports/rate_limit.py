"""The rate limiter of the transports: ``enterprise.transports.rate_limit`` (one per remote account)."""

from enterprise.transports.rate_limit import WINDOW, RateLimiter, forget_limiters, limiter_for

__all__ = ["WINDOW", "RateLimiter", "forget_limiters", "limiter_for"]
