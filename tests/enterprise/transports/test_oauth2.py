"""The one OAuth 2 client-credentials token store, shared by SAP SuccessFactors and the Open edX backends."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from enterprise.models import AccessToken
from enterprise.transports.oauth2 import (
    IssuedToken,
    TokenRequest,
    TokenStore,
    read_token_answer,
    with_token_renewal,
)

pytestmark = pytest.mark.django_db

URL = "https://idp.example.com/oauth2/token"


def request(**overrides) -> TokenRequest:
    return TokenRequest(**{"url": URL, "client_id": "cid", "client_secret": "s3cret", **overrides})


class Endpoint:
    """A token endpoint as a function: counts its calls, issues tok-1, tok-2 …"""

    def __init__(self, lifetime: float = 3600):
        self.lifetime = lifetime
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, token_request: TokenRequest) -> IssuedToken:
        with self.lock:
            self.calls += 1
            return IssuedToken(f"tok-{self.calls}", self.lifetime)


class Unauthorized(Exception):
    status_code = 401


# The shape of the token request


def test_the_request_shape_is_configurable_for_every_kind_of_provider():
    sap = request(body="json", params={"scope": {"userId": "u", "companyId": "ACME"}})
    assert sap.as_requests_kwargs() == {
        "auth": ("cid", "s3cret"),
        "json": {"grant_type": "client_credentials", "scope": {"userId": "u", "companyId": "ACME"}},
    }
    openedx = request(credentials="body", params={"token_type": "jwt"})
    assert openedx.as_requests_kwargs() == {
        "data": {"grant_type": "client_credentials", "token_type": "jwt", "client_id": "cid", "client_secret": "s3cret"}
    }
    graph = request(credentials="body", params={"scope": "https://graph.microsoft.com/.default"})
    assert graph.as_requests_kwargs()["data"]["scope"] == "https://graph.microsoft.com/.default"
    zoom = request(grant_type="account_credentials", params={"account_id": "A1"})
    assert zoom.as_requests_kwargs() == {
        "auth": ("cid", "s3cret"),
        "data": {"grant_type": "account_credentials", "account_id": "A1"},
    }
    assert "s3cret" not in repr(sap)


def test_a_changed_secret_or_scope_keeps_the_key_but_not_the_digest():
    base = request(owner="channel:1")
    assert request(owner="channel:1", client_secret="rotated").key == base.key
    assert request(owner="channel:1", client_secret="rotated").digest != base.digest
    assert request(owner="channel:1", params={"scope": "x"}).digest != base.digest
    assert request(owner="channel:1", subject="sap-7").key != base.key
    assert request(owner="channel:2").key != base.key


def test_an_unusable_answer_is_refused():
    assert read_token_answer({"access_token": "t", "expires_in": "60", "token_type": "JWT"}) == IssuedToken(
        "t", 60.0, "JWT"
    )
    for body in ({}, {"access_token": ""}, {"access_token": "t"}, {"access_token": "t", "expires_in": True}, []):
        with pytest.raises(ValueError):
            read_token_answer(body)


# Caching


def test_one_fetch_serves_the_store_and_other_stores_through_the_table():
    endpoint = Endpoint()
    first = TokenStore().get(request(owner="channel:1"), endpoint)
    again = TokenStore().get(request(owner="channel:1"), endpoint)  # another client, run or worker

    assert first.value == again.value == "tok-1" and endpoint.calls == 1
    row = AccessToken.objects.get()
    assert (row.owner, row.subject, row.token) == ("channel:1", "", "tok-1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM enterprise_accesstoken")
        assert "tok-1" not in cursor.fetchone()[0]  # encrypted at rest


def test_a_token_is_replaced_shortly_before_it_expires():
    start = timezone.now()
    clock = [start]
    store, endpoint = TokenStore(margin=60, now=lambda: clock[0]), Endpoint(lifetime=30)

    store.get(request(), endpoint)
    clock[0] = start + datetime.timedelta(seconds=26)
    assert store.get(request(), endpoint).value == "tok-1"  # 30 s minus a tenth: usable for 27 s
    clock[0] = start + datetime.timedelta(seconds=28)
    assert store.get(request(), endpoint).value == "tok-2"
    assert AccessToken.objects.get().token == "tok-2"


def test_a_token_of_other_credentials_is_never_used():
    endpoint = Endpoint()
    TokenStore().get(request(), endpoint)
    assert TokenStore().get(request(client_secret="rotated"), endpoint).value == "tok-2"
    assert AccessToken.objects.count() == 1


def test_a_refused_token_is_replaced_once_unless_another_client_already_did():
    store, endpoint = TokenStore(), Endpoint()
    refused = store.get(request(), endpoint)
    assert store.get(request(), endpoint, refused=refused).value == "tok-2"
    assert store.get(request(), endpoint, refused=refused).value == "tok-2"  # already replaced: no new fetch
    assert endpoint.calls == 2


def test_a_401_renews_the_token_once_and_repeats_the_call():
    store, endpoint = TokenStore(), Endpoint()
    seen = []

    def call(token):
        seen.append(token.value)
        if token.value == "tok-1":
            raise Unauthorized
        return "done"

    assert with_token_renewal(lambda refused=None: store.get(request(), endpoint, refused=refused), call) == "done"
    assert seen == ["tok-1", "tok-2"]


def test_a_second_401_is_raised_and_other_errors_renew_nothing():
    store, endpoint = TokenStore(), Endpoint()
    token = lambda refused=None: store.get(request(), endpoint, refused=refused)  # noqa: E731

    def always(error):
        def call(_):
            raise error

        return call

    with pytest.raises(Unauthorized):
        with_token_renewal(token, always(Unauthorized()))
    assert endpoint.calls == 2
    with pytest.raises(ValueError):
        with_token_renewal(token, always(ValueError("boom")))
    assert endpoint.calls == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_fetch_one_token():
    endpoint = Endpoint()
    slow = threading.Event()

    def fetch(token_request):
        slow.wait(0.2)  # a slow token endpoint: every other client arrives meanwhile
        return endpoint(token_request)

    values, barrier = [], threading.Barrier(6)

    def client():
        try:
            barrier.wait()
            values.append(TokenStore().get(request(owner="channel:9"), fetch).value)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert values == ["tok-1"] * 6 and endpoint.calls == 1
