"""The guarded session every remote call goes through reads nothing from the environment per request."""

from __future__ import annotations

import pytest
import requests

from integrated_channels.integrated_channel.transports.guard import guarded_session
from tests.fakes.echo import EchoServer


@pytest.fixture
def loopback_allowed(settings):
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": ["127.0.0.1"]}


def test_no_proxy_settings_are_looked_up_per_request(loopback_allowed, monkeypatch):
    # requests would read these on every call (urllib's getproxies) and route through the proxy,
    # which the guard refuses: the calls go to the remote system directly, the environment unread.
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "")

    def read_the_environment(*args, **kwargs):
        raise AssertionError("the proxy settings were read for a request")

    monkeypatch.setattr(requests.utils, "getproxies", read_the_environment)
    monkeypatch.setattr(requests.sessions, "get_netrc_auth", read_the_environment)
    session = guarded_session()
    assert session.trust_env is False
    with EchoServer(status=200) as server:
        for _ in range(2):
            assert session.get(f"{server.url}/ping", timeout=5).status_code == 200
        assert len(server.requests) == 2


def test_the_ca_bundle_an_operator_names_is_read_once_and_kept(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/curl.pem")
    assert guarded_session().verify == "/etc/ssl/curl.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    assert guarded_session().verify == "/etc/ssl/corporate.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE")
    assert guarded_session().verify is True
