"""The shared Open edX HTTP client: OAuth2 token, retries, timeouts, pagination, typed errors."""

import logging
from unittest import mock

import jwt
import pytest
import requests

from enterprise.exceptions import LMSError, LMSUnavailable
from enterprise.lms.openedx.auth import jwt_claims
from enterprise.lms.openedx.client import OpenEdXClient, parse_retry_after
from enterprise.lms.openedx.exceptions import (
    OpenEdXAuthError,
    OpenEdXConfigurationError,
    OpenEdXNotFound,
    OpenEdXResponseError,
    OpenEdXTimeout,
    OpenEdXUnavailable,
)
from tests.enterprise.lms.openedx.conftest import CLIENT_ID, CLIENT_SECRET

RUNS = "/api/v1/course_runs/"

pytestmark = pytest.mark.django_db  # tokens are kept in the AccessToken table


def runs_url(client):
    return client.discovery("course_runs/")


# The token


def test_the_token_is_fetched_with_client_credentials_as_a_jwt_and_sent_as_jwt(client, fake_openedx):
    client.get_json(runs_url(client))

    (token_call,) = fake_openedx.calls("lms", "/oauth2/access_token")
    assert token_call.body == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_type": "jwt",
    }
    (call,) = fake_openedx.calls("discovery", RUNS)
    assert (call.status, call.username) == (200, "enterprise_worker")


def test_one_token_serves_every_client_of_the_process_until_it_nears_expiry(openedx_conf, fake_openedx):
    for _ in range(3):
        OpenEdXClient().get_json(OpenEdXClient().discovery("course_runs/"))

    assert fake_openedx.tokens_issued == 1


def test_a_token_is_renewed_before_it_expires(openedx_conf, fake_openedx, monkeypatch):
    import datetime

    from django.utils import timezone

    from enterprise.lms.openedx.auth import token_store

    fake_openedx.token_lifetime = 30  # used for 27 s: the margin is at most a tenth of the lifetime
    start = timezone.now()
    for elapsed in (0, 26, 28):
        monkeypatch.setattr(token_store, "now", lambda elapsed=elapsed: start + datetime.timedelta(seconds=elapsed))
        client = OpenEdXClient()
        client.get_json(client.discovery("course_runs/"))

    assert fake_openedx.tokens_issued == 2
    assert all(call.status == 200 for call in fake_openedx.calls("discovery"))


def test_an_expired_token_is_renewed_once_on_401_and_the_call_succeeds(client, fake_openedx):
    client.get_json(runs_url(client))
    fake_openedx.expire_tokens()

    client.get_json(runs_url(client))

    assert fake_openedx.tokens_issued == 2
    assert [c.status for c in fake_openedx.calls("discovery")] == [200, 401, 200]


def test_a_second_401_is_an_auth_error_not_a_loop(client, fake_openedx):
    fake_openedx.fail("discovery", RUNS, 401, times=5)

    with pytest.raises(OpenEdXAuthError) as excinfo:
        client.get_json(runs_url(client))

    assert excinfo.value.status_code == 401
    assert excinfo.value.transient is False
    assert isinstance(excinfo.value, PermissionError)
    assert isinstance(excinfo.value, requests.HTTPError)
    assert len(fake_openedx.calls("discovery")) == 2
    assert fake_openedx.tokens_issued == 2


def test_refused_client_credentials_are_an_auth_error_that_never_shows_the_secret(settings, openedx_conf, caplog):
    settings.ENTERPRISE_OPENEDX = {**openedx_conf, "CLIENT_SECRET": "wrong-secret-value"}
    caplog.set_level(logging.DEBUG)
    client = OpenEdXClient()

    with pytest.raises(OpenEdXAuthError) as excinfo:
        client.get_json(client.discovery("course_runs/"))

    assert excinfo.value.status_code == 401
    assert CLIENT_ID in str(excinfo.value)
    assert "invalid_client" in str(excinfo.value)
    for text in (str(excinfo.value), repr(client), caplog.text, str(excinfo.value.context)):
        assert "wrong-secret-value" not in text


def test_the_secret_never_reaches_the_logs_even_on_retries(client, fake_openedx, caplog):
    caplog.set_level(logging.DEBUG)
    fake_openedx.fail("lms", "/oauth2/access_token", 503, times=1)

    client.get_json(runs_url(client))

    assert caplog.text  # retries and tokens are logged …
    assert CLIENT_SECRET not in caplog.text  # … without the secret
    assert all(token not in caplog.text for token in fake_openedx.tokens)


# Retries


def test_5xx_answers_are_retried_with_exponential_backoff(client, fake_openedx, sleeps):
    fake_openedx.fail("discovery", RUNS, 503, times=2)

    assert client.get_json(runs_url(client))["results"] == []

    assert sleeps == [pytest.approx(0.5, rel=0.1), pytest.approx(1.0, rel=0.1)]  # with up to 10 % of jitter
    assert [c.status for c in fake_openedx.calls("discovery")] == [503, 503, 200]


def test_429_waits_as_long_as_retry_after_says(client, fake_openedx, sleeps):
    fake_openedx.fail("discovery", RUNS, 429, times=1, retry_after=3)

    client.get_json(runs_url(client))

    assert sleeps == [3.0]


def test_a_retry_after_longer_than_the_max_wait_ends_with_a_transient_error_carrying_it(client, fake_openedx, sleeps):
    fake_openedx.fail("discovery", RUNS, 429, times=1, retry_after=300)

    with pytest.raises(OpenEdXUnavailable) as excinfo:
        client.get_json(runs_url(client))

    error = excinfo.value
    assert (error.status_code, error.retry_after, error.transient) == (429, 300.0, True)
    assert isinstance(error, LMSUnavailable)
    assert isinstance(error, requests.HTTPError)
    assert error.response.status_code == 429
    assert sleeps == []
    assert len(fake_openedx.calls("discovery")) == 1


def test_persistent_server_errors_give_up_after_max_retries(client, fake_openedx, sleeps):
    fake_openedx.fail("discovery", RUNS, 500, times=10)

    with pytest.raises(OpenEdXUnavailable) as excinfo:
        client.get_json(runs_url(client))

    assert excinfo.value.status_code == 500
    assert "Injected failure" in str(excinfo.value)
    assert len(fake_openedx.calls("discovery")) == 3  # the call and MAX_RETRIES=2 retries
    assert len(sleeps) == 2


def test_client_errors_are_not_retried(client, fake_openedx, sleeps):
    with pytest.raises(OpenEdXNotFound) as excinfo:
        client.get_json(client.discovery("programs/00000000-0000-0000-0000-000000000000/"))

    assert excinfo.value.status_code == 404
    assert isinstance(excinfo.value, LookupError)
    assert isinstance(excinfo.value, LMSError)
    assert sleeps == []


def test_a_slow_answer_times_out_and_is_retried(client, fake_openedx):
    fake_openedx.delay("discovery", RUNS, 1.0, times=1)

    assert client.get_json(runs_url(client))["count"] == 0
    assert len(fake_openedx.calls("discovery")) == 2


def test_an_answer_that_never_comes_in_time_is_a_timeout_error(client, fake_openedx, sleeps):
    fake_openedx.delay("discovery", RUNS, 1.0, times=3)

    with pytest.raises(OpenEdXTimeout) as excinfo:
        client.get_json(runs_url(client))

    assert isinstance(excinfo.value, TimeoutError)
    assert excinfo.value.transient is True
    assert "timed out" in str(excinfo.value)
    assert len(sleeps) == 2


def test_every_call_carries_the_configured_connect_and_read_timeouts(client):
    with mock.patch.object(client.session, "request", wraps=client.session.request) as spy:
        client.get_json(runs_url(client))

    assert {call.kwargs["timeout"] for call in spy.call_args_list} == {(1.0, 0.3)}


def test_a_refused_connection_is_a_transient_error_after_the_retries(settings, openedx_conf, sleeps):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.ENTERPRISE_OPENEDX = {**openedx_conf, "LMS_URL": f"http://127.0.0.1:{port}"}

    with pytest.raises(OpenEdXUnavailable) as excinfo:
        OpenEdXClient(sleep=sleeps.append).token()

    assert excinfo.value.transient is True
    assert "connection failed" in str(excinfo.value)
    assert len(sleeps) == 2


def test_parse_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 0  # a past date: no wait
    assert 50 < parse_retry_after(_http_date_in(60)) <= 60


def _http_date_in(seconds):
    import datetime
    import email.utils

    return email.utils.format_datetime(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds), usegmt=True
    )


# Pagination


def test_pagination_follows_next_links_until_the_last_page(client, fake_openedx):
    for n in range(5):
        fake_openedx.add_course_run(f"course-v1:Org+C{n}+2027", title=f"Course {n}")

    keys = [run["key"] for run in client.paginate(runs_url(client))]

    assert keys == [f"course-v1:Org+C{n}+2027" for n in range(5)]
    assert len(fake_openedx.calls("discovery", RUNS)) == 3  # page size 2 on the fake


def _page(payload):
    response = requests.Response()
    response.status_code = 200
    response._content = __import__("json").dumps(payload).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_a_next_link_to_another_host_is_not_followed(client):
    first = _page({"results": [{"key": "a"}], "next": "http://elsewhere.example.com/api/v1/course_runs/?page=2"})
    with mock.patch.object(client.session, "request", return_value=first), mock.patch.object(client, "token"):
        pages = client.paginate(runs_url(client))
        assert next(pages) == {"key": "a"}
        with pytest.raises(OpenEdXResponseError, match="leaves the service"):
            next(pages)


def test_an_answer_that_is_not_json_is_a_response_error(client):
    response = requests.Response()
    response.status_code = 200
    response._content = b"<html>proxy error</html>"
    with (
        mock.patch.object(client.session, "request", return_value=response),
        mock.patch.object(client, "token"),
        pytest.raises(OpenEdXResponseError) as excinfo,
    ):
        client.get_json(runs_url(client))
    assert isinstance(excinfo.value, ValueError)


# Configuration and api_user


def test_missing_settings_are_a_configuration_error(settings):
    settings.ENTERPRISE_OPENEDX = {}
    with pytest.raises(OpenEdXConfigurationError, match="LMS_URL"):
        OpenEdXClient()
    settings.ENTERPRISE_OPENEDX = {"LMS_URL": "http://lms.example.com"}
    with pytest.raises(OpenEdXConfigurationError, match="client id and secret"):
        OpenEdXClient()


def test_api_user_selects_the_oauth2_application_of_that_user(openedx_conf, fake_openedx):
    client = OpenEdXClient(api_user="staff")
    client.get_json(client.discovery("course_runs/"))

    (token_call,) = fake_openedx.calls("lms", "/oauth2/access_token")
    assert token_call.body["client_id"] == "staff-client"
    assert fake_openedx.calls("discovery")[0].username == "staff"


def test_api_user_may_be_the_user_object_the_channel_framework_passes(openedx_conf, fake_openedx):
    from tests.factories import StaffFactory

    client = OpenEdXClient(api_user=StaffFactory(username="staff"))
    client.get_json(client.discovery("course_runs/"))

    assert client.api_user == "staff"
    assert fake_openedx.calls("discovery")[0].username == "staff"


def test_an_api_user_without_an_application_is_a_configuration_error(openedx_conf):
    with pytest.raises(OpenEdXConfigurationError, match="'nobody'"):
        OpenEdXClient(api_user="nobody")


def test_an_application_issuing_tokens_for_another_user_is_refused(openedx_conf, fake_openedx):
    client = OpenEdXClient(api_user="mismatch")

    with pytest.raises(OpenEdXConfigurationError, match="someone_else"):
        client.get_json(client.discovery("course_runs/"))

    assert fake_openedx.calls("discovery") == []


def test_jwt_claims_reads_the_payload_without_verifying_and_is_empty_for_what_is_not_a_jwt():
    expired = jwt.encode({"preferred_username": "staff", "exp": 1}, "a secret this side does not know" * 2)

    assert jwt_claims(expired) == {"preferred_username": "staff", "exp": 1}
    assert jwt_claims("an-opaque-bearer-token") == {}
    assert jwt_claims("not.a.jwt") == {}
