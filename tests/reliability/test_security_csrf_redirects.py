"""CSRF on every form POST (admin, consent page, the API under session authentication); the only
CSRF-exempt view is the SAML assertion consumer; every redirect target supplied by a request is
allow-listed. (The SAML RelayState, on sign-in start and on the assertion consumer, is tested
with a real IdP in tests/sso/test_sso_endpoints.py and test_sso_login.py.)"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import StaffFactory
from tests.reliability.walk import API_PREFIXES, admin_urls, database_state, fill_path, schema_operations

pytestmark = pytest.mark.django_db

HOSTILE_TARGETS = [
    "https://evil.example.net/",
    "//evil.example.net/",
    "/\\evil.example.net/",
    "\\\\evil.example.net/",
    "https:evil.example.net",
    "http://testserver@evil.example.net/",
    "javascript:alert(1)",
    " https://evil.example.net/",
    "https://evil.example.net%2F@testserver/",
    "http:///evil.example.net/",
]

# Views that must accept a cross-site POST, and why.
CSRF_EXEMPT = {
    "enterprise_sso:saml-acs",  # the IdP posts the signed, single-use assertion
    "training-data-api-v1:catalog",  # the public catalog: GET only, no authentication, no cookie read
}
# The SCIM 2.0 endpoint (decision 0250) authenticates by bearer token only, never by the session
# cookie (tested below), so a cross-site form cannot act through it: its views are exempt.
CSRF_EXEMPT_NAMESPACES = {"scim"}


def _views():
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), ":".join(filter(None, [namespace, pattern.name or ""])), pattern

    return list(walk(get_resolver().url_patterns, "", ""))


def test_no_view_outside_the_api_is_csrf_exempt_but_the_saml_acs():
    exempt = {
        name
        for path, name, pattern in _views()
        if getattr(pattern.callback, "csrf_exempt", False)
        and not path.startswith(API_PREFIXES)
        and not path.startswith("api/")  # the schema and its docs: GET only
        and name.split(":")[0] not in CSRF_EXEMPT_NAMESPACES
    }
    assert exempt == CSRF_EXEMPT


def test_the_scim_endpoint_ignores_the_session_cookie():
    """A signed-in superuser's browser, without a SCIM bearer token, is refused: no CSRF through SCIM."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="root-scim", is_superuser=True))
    body = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "eve@example.com"}'
    response = client.post(reverse("scim:users"), body, content_type="application/scim+json")
    assert response.status_code == 401


def test_every_admin_form_post_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="root"))
    before = database_state()
    accepted = []
    for entry in admin_urls(world):
        for body in entry.posts:
            response = client.post(entry.url, body)
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append((entry.url, body, response.status_code))
    assert accepted == []
    assert database_state() == before
    login = Client(enforce_csrf_checks=True).post(reverse("admin:login"), {"username": "root", "password": "x"})
    assert login.status_code == 403


def test_the_consent_page_post_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner.user)
    form = {
        "enterprise_customer_uuid": str(world.customer.uuid),
        "course_id": world.enrollment.course_id,
        "answer": "decline",
    }
    before = database_state()
    assert client.post(reverse("consent:consent_page"), form).status_code == 403
    assert database_state() == before
    # with the token of the page, the same POST is recorded: the refusal was the token's
    page = client.get(reverse("consent:consent_page"), form)
    token = page.cookies["csrftoken"].value
    assert client.post(reverse("consent:consent_page"), {**form, "csrfmiddlewaretoken": token}).status_code == 200
    assert database_state() != before


def test_every_api_write_under_session_authentication_needs_the_csrf_token(world):
    operations, _views = schema_operations()
    writes = [(method, path) for method, path in operations if method != "GET"]
    assert writes
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="root"))
    values = {
        ("customers", "uuid"): world.customer.uuid,
        ("customers", "customer_uuid"): world.customer.uuid,
        ("configurations", "id"): next(iter(world.configurations.values())).pk,
        ("connections", "id"): next(iter(world.configurations.values())).pk,
        ("connections", "code"): next(iter(world.configurations.values())).get_channel().all_operations()[0].code,
        ("consents", "id"): 1,
        ("prices", "id"): 1,  # the CSRF check comes before the row is looked up: any id will do
        ("customers", "id"): 1,  # a session of the customer (classroom API); the CSRF check comes first
        ("{customer_slug}", "customer_slug"): world.customer.slug,  # the public catalog (read-only)
    }
    before = database_state()
    accepted = []
    for method, path in writes:
        response = client.generic(method, fill_path(path, values), json.dumps({}), content_type="application/json")
        if response.status_code != 403 or "CSRF" not in response.content.decode():
            accepted.append((method, path, response.status_code))
    assert accepted == []
    assert database_state() == before


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_consent_page_next_and_failure_url_are_allow_listed(world, target):
    client = Client()
    client.force_login(world.learner.user)
    form = {
        "enterprise_customer_uuid": str(world.customer.uuid),
        "course_id": world.enrollment.course_id,
        "next": target,
        "failure_url": target,
    }
    for answer in ("grant", "decline"):
        response = client.post(reverse("consent:consent_page"), {**form, "answer": answer})
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert not _leaves_site(response["Location"]), (answer, response["Location"])
        assert "evil.example.net" not in response.content.decode()


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_admin_login_next_is_allow_listed(target):
    StaffFactory(username="root")
    client = Client()
    response = client.post(reverse("admin:login") + "?next=" + target, {"username": "root", "password": "password"})
    assert response.status_code == 302
    assert not _leaves_site(response["Location"])


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_manage_learners_redirects_stay_on_the_page(world, target):
    client = Client()
    client.force_login(StaffFactory(username="root"))
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[world.customer.pk])
    response = client.post(f"{url}?linked_q={target}&next={target}", {"action": "unlink", "user_id": "0"})
    assert response.status_code == 302
    assert response["Location"].startswith(url)


def _leaves_site(url: str) -> bool:
    """True when a browser following ``url`` from http://testserver/ would leave the site."""
    from django.utils.http import url_has_allowed_host_and_scheme

    return bool(url) and not url_has_allowed_host_and_scheme(url, allowed_hosts={"testserver"})
