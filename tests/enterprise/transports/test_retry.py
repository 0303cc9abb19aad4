"""The one retry policy (tenacity): what is tried again, how long it waits, when it gives up."""

from __future__ import annotations

import datetime
import email.utils

import pytest
from django.utils import timezone

from enterprise.transports.rate_limit import RateLimiter, forget_limiters, limiter_for
from enterprise.transports.retry import RetryPolicy, parse_retry_after


class Failure(Exception):
    def __init__(self, *, transient=True, status_code=None, retry_after=None):
        super().__init__(f"failure {status_code}")
        self.transient, self.status_code, self.retry_after = transient, status_code, retry_after


def failing(*errors, result="ok"):
    """An attempt that raises ``errors`` one by one, then returns ``result``; it counts its calls."""
    pending = list(errors)

    def attempt():
        attempt.calls += 1
        if pending:
            raise pending.pop(0)
        return result

    attempt.calls = 0
    return attempt


@pytest.fixture
def sleeps():
    return []


def test_retry_after_is_read_in_seconds_or_as_an_http_date():
    now = timezone.now()
    in_90s = email.utils.format_datetime(now + datetime.timedelta(seconds=90), usegmt=True)

    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    assert 89 <= parse_retry_after(in_90s, now=now) <= 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None and parse_retry_after("") is None and parse_retry_after(None) is None


def test_transient_errors_are_retried_with_exponential_backoff_and_jitter(sleeps):
    attempt = failing(Failure(status_code=503), Failure(), Failure(status_code=500))

    assert RetryPolicy(max_retries=3, backoff=2).call(attempt, sleep=sleeps.append) == "ok"

    assert attempt.calls == 4
    assert [2 <= sleeps[0] <= 2.2, 4 <= sleeps[1] <= 4.4, 8 <= sleeps[2] <= 8.8] == [True, True, True]


def test_a_permanent_error_is_raised_at_once(sleeps):
    error = Failure(transient=False, status_code=400)
    attempt = failing(error)

    with pytest.raises(Failure) as info:
        RetryPolicy().call(attempt, sleep=sleeps.append)

    assert info.value is error and attempt.calls == 1 and sleeps == []


def test_the_policy_gives_up_after_max_retries_with_the_last_error_itself(sleeps):
    errors = [Failure(status_code=502) for _ in range(5)]
    attempt = failing(*errors)

    with pytest.raises(Failure) as info:
        RetryPolicy(max_retries=2, backoff=0.1).call(attempt, sleep=sleeps.append)

    assert info.value is errors[2]  # not a tenacity.RetryError: callers catch their own typed errors
    assert attempt.calls == 3 and len(sleeps) == 2


def test_retry_after_is_honoured_on_429_and_on_5xx(sleeps):
    attempt = failing(Failure(status_code=429, retry_after=7.0), Failure(status_code=503, retry_after=3.0))

    RetryPolicy(max_retries=3).call(attempt, sleep=sleeps.append)

    assert sleeps == [7.0, 3.0]


def test_a_429_without_retry_after_waits_the_remotes_default(sleeps):
    RetryPolicy(default_retry_after=300, max_wait=600).call(failing(Failure(status_code=429)), sleep=sleeps.append)
    RetryPolicy(default_retry_after=None, backoff=1).call(failing(Failure(status_code=429)), sleep=sleeps.append)

    assert sleeps[0] == 300.0  # SAP's advice
    assert 1 <= sleeps[1] <= 1.1  # no advice: the backoff


def test_a_wait_longer_than_max_wait_gives_up_at_once_with_the_error(sleeps):
    error = Failure(status_code=429, retry_after=900.0)

    with pytest.raises(Failure) as info:
        RetryPolicy(max_wait=300).call(failing(error), sleep=sleeps.append)

    assert info.value is error and info.value.retry_after == 900.0 and sleeps == []


def test_zero_retries_tries_once(sleeps):
    attempt = failing(Failure())
    with pytest.raises(Failure):
        RetryPolicy(max_retries=0).call(attempt, sleep=sleeps.append)
    assert attempt.calls == 1 and sleeps == []


def test_the_rate_limit_is_shared_by_every_client_of_one_remote_account():
    forget_limiters()
    now, waited = [0.0], []

    def wait(seconds):
        waited.append(seconds)
        now[0] += seconds

    clock = lambda: now[0]  # noqa: E731
    first = limiter_for("tenant.example.com", "ACME", 2, clock=clock, wait=wait)
    second = limiter_for("TENANT.example.com", "ACME", 2, clock=clock, wait=wait)
    other = limiter_for("tenant.example.com", "OTHER", 2, clock=clock, wait=wait)

    first.acquire()
    first.acquire()
    other.acquire()  # another account: its own budget
    assert waited == []
    second.acquire()  # the same tenant through another client: waits for the window
    assert second is first and waited == [60.0]
    forget_limiters()


def test_the_sliding_window_allows_n_calls_in_any_minute():
    now, waited = [0.0], []

    def wait(seconds):
        waited.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3, clock=lambda: now[0], wait=wait)
    for moment in (0, 10, 20, 20, 75):
        now[0] = max(now[0], moment)
        limiter.acquire()

    assert waited == [40.0]
