"""The shared HTTP transport: timeouts on every call, Retry-After, typed errors inheriting builtins."""

from __future__ import annotations

import datetime
import email.utils
from unittest import mock

import pytest
import requests
from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    ChannelError,
    InactiveLearner,
    RateLimited,
    RemoteAPIError,
    RemoteConnectionError,
    RemoteRejected,
    RemoteServerError,
    RemoteTimeout,
)
from integrated_channels.integrated_channel.transports.http import HttpTransport, parse_retry_after
from integrated_channels.integrated_channel.transports.rate_limit import RateLimiter
from integrated_channels.sap_success_factors.client import SAPSuccessFactorsClient
from tests.integrated_channels.factories import SAPConfigurationFactory


class Plain(HttpTransport):
    name = "Remote"

    def send_learner_data(self, records):
        return []


def test_retry_after_in_seconds_or_as_an_http_date():
    now = timezone.now()
    in_90s = (now + datetime.timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    assert parse_retry_after("120") == 120.0
    assert 88 <= parse_retry_after(in_90s, now=now) <= 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("error", "builtins"),
    [
        (RemoteAPIError("x", status_code=400), (requests.HTTPError, OSError)),
        (AuthenticationFailed("x", status_code=401), (requests.HTTPError, PermissionError)),
        (RemoteTimeout("x"), (TimeoutError,)),
        (RemoteConnectionError("x"), (ConnectionError,)),
        (InactiveLearner("x", status_code=400), (RemoteRejected, requests.HTTPError)),
    ],
)
def test_typed_errors_inherit_the_matching_builtin(error, builtins):
    assert isinstance(error, ChannelError)
    assert all(isinstance(error, builtin) for builtin in builtins)
    assert str(error) == "x"


def test_transient_says_whether_a_retry_can_help():
    assert RateLimited("x").transient and RemoteServerError("x").transient and RemoteTimeout("x").transient
    assert not RemoteRejected("x").transient and not AuthenticationFailed("x").transient


@pytest.mark.django_db
def test_every_call_has_the_connect_and_read_timeouts(settings, fake_sap):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "CONNECT_TIMEOUT": 3, "READ_TIMEOUT": 17}
    transport = Plain(SAPConfigurationFactory())
    with (
        mock.patch.object(transport.session, "request", wraps=transport.session.request) as request,
        pytest.raises(RemoteAPIError),
    ):
        transport.request("POST", fake_sap.base_url + "nowhere", json={})
    assert request.call_args.kwargs["timeout"] == (3.0, 17.0)


@pytest.mark.django_db
def test_a_refused_connection_is_retried_then_reported(waits):
    transport = Plain(SAPConfigurationFactory())

    with pytest.raises(RemoteConnectionError, match="could not be reached"):
        transport.request("GET", "http://127.0.0.1:9/")  # discard port: nothing listens

    assert transport.calls == 3 and len(waits) == 2


@pytest.mark.django_db
def test_4xx_errors_are_not_retried_and_carry_the_remote_message(fake_sap, waits):
    transport = Plain(SAPConfigurationFactory())
    fake_sap.fail("any", 422, body='{"error": {"code": "X", "message": "courseID is unknown"}}')

    with pytest.raises(RemoteRejected) as info:
        transport.request("POST", fake_sap.base_url + "anything", json={})

    assert (info.value.status_code, info.value.remote_message) == (422, "courseID is unknown")
    assert "HTTP 422" in info.value.response_summary
    assert info.value.response.status_code == 422  # what requests.HTTPError callers read
    assert transport.calls == 1 and waits == []


def test_the_rate_limiter_allows_n_calls_in_any_minute():
    now, waited = [0.0], []

    def wait(seconds):
        waited.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3, clock=lambda: now[0], wait=wait)
    for moment in (0, 10, 20, 20, 75):
        now[0] = max(now[0], moment)
        limiter.acquire()

    assert waited == [40.0]  # the 4th call waited until the 1st left the window
    assert RateLimiter(0, clock=lambda: 0, wait=wait).acquire() is None  # 0: no limit


@pytest.mark.django_db
def test_a_redirect_is_not_followed_but_reported(fake_sap):
    transport = Plain(SAPConfigurationFactory())
    fake_sap.fail("any", 302, headers={"Location": "/login"})

    with pytest.raises(RemoteRejected, match="HTTP 302"):
        transport.request("POST", fake_sap.base_url + "anything", json={})

    assert fake_sap.calls() == 1


# The one retry policy under every HTTP channel


def token_call(transport, config):
    """A call the fake SAP answers 200 when nothing is scripted: the token request of ``config``."""
    client = SAPSuccessFactorsClient(config)
    kwargs = client.token_request("").as_requests_kwargs()
    return transport.request("POST", client.url("learning/oauth-api/rest/v1/token"), **kwargs)


@pytest.mark.django_db
def test_a_429_with_an_http_date_waits_until_then(sap_config, fake_sap, waits):
    transport = Plain(sap_config)
    when = email.utils.format_datetime(timezone.now() + datetime.timedelta(seconds=30), usegmt=True)
    fake_sap.fail("any", 429, headers={"Retry-After": when})

    token_call(transport, sap_config)

    assert len(waits) == 1 and 28 <= waits[0] <= 30
    assert fake_sap.calls() == 2


@pytest.mark.django_db
def test_a_429_without_retry_after_waits_the_channels_default(sap_config, fake_sap, waits, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "MAX_RETRY_WAIT": 600}
    fake_sap.fail("any", 429)

    token_call(Plain(sap_config), sap_config)

    assert waits == [60.0]  # HttpTransport.default_retry_after (SAP's client says 300: test_end_to_end)


@pytest.mark.django_db
def test_a_503_with_retry_after_is_honoured(sap_config, fake_sap, waits):
    fake_sap.fail("any", 503, headers={"Retry-After": "4"})

    token_call(Plain(sap_config), sap_config)

    assert waits == [4.0]


@pytest.mark.django_db
def test_persistent_5xx_gives_up_with_a_typed_error_carrying_the_answer(fake_sap, waits):
    fake_sap.fail("any", 500, times=5, body='{"message": "database down"}')
    transport = Plain(SAPConfigurationFactory())

    with pytest.raises(RemoteServerError) as info:
        transport.request("POST", fake_sap.base_url + "anything", json={})

    error = info.value
    assert (error.status_code, error.remote_message, error.transient) == (500, "database down", True)
    assert isinstance(error, requests.HTTPError) and error.response.status_code == 500
    assert transport.calls == 3 and len(waits) == 2  # MAX_RETRIES = 2 in the tests


@pytest.mark.django_db
def test_a_read_timeout_is_retried_then_a_transient_timeout_error(fake_sap, waits, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "READ_TIMEOUT": 0.2}
    fake_sap.delay("any", 1.0, times=3)
    transport = Plain(SAPConfigurationFactory())

    with pytest.raises(RemoteTimeout, match="did not answer in time") as info:
        transport.request("POST", fake_sap.base_url + "anything", json={})

    assert isinstance(info.value, TimeoutError) and info.value.transient
    assert transport.calls == 3 and len(waits) == 2


@pytest.mark.django_db
def test_a_read_timeout_once_is_retried_and_succeeds(sap_config, fake_sap, waits, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "READ_TIMEOUT": 0.2}
    fake_sap.delay("any", 1.0, times=1)
    transport = Plain(sap_config)

    assert token_call(transport, sap_config).status_code == 200
    assert transport.calls == 2 and len(waits) == 1


def test_a_call_without_timeouts_is_refused():
    from enterprise.transports.http import HttpClient
    from enterprise.transports.retry import RetryPolicy

    with pytest.raises(ValueError, match="timeout"):
        HttpClient(timeout=(5, 0), policy=RetryPolicy())
    with pytest.raises(ValueError, match="timeout"):
        HttpClient(timeout=(None, 30), policy=RetryPolicy())
