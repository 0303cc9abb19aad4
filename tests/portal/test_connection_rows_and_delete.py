"""The portal's connection pages beyond the form (decision 0485): the rows the admin edits in inline
tables (the admin's own formsets), deleting a connection after a confirmation page, and Canvas's
Authorize with the portal's callback — each scoped to the customer, CSRF-checked and audited."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enterprise.models import PortalAction
from integrated_channels.blackboard.models import BlackboardConfiguration
from integrated_channels.canvas.models import CanvasConfiguration
from integrated_channels.integrated_channel.models import ChannelConfiguration, PortalConnector, Run
from integrated_channels.integrated_channel.services import authorization
from integrated_channels.powerbi.models import PowerBIConnection, XAPIColumn
from integrated_channels.xapi import paths
from integrated_channels.xapi.models import XAPIImportConfiguration, XAPIImportFilter, XAPIImportMapping
from tests.factories import CustomerFactory
from tests.fakes.canvas import FakeCanvas
from tests.portal.support import administrator, url

pytestmark = pytest.mark.django_db

PASSWORD = "sftp-pw-7d1e"
POWERBI_SECRET = "pbi-secret-41aa"
CANVAS_SECRET = "canvas-secret-c0ffee"
CODES = ("XAPI_IMPORT", "POWERBI", "CANVAS")
MAPPING, FILTERS = "mappings", "filters"


def allowed(customer):
    for code in CODES:
        PortalConnector.objects.create(customer=customer, channel=code)
    return customer


@pytest.fixture
def acme():
    return allowed(CustomerFactory(name="Acme Corp", slug="acme"))


@pytest.fixture
def globex():
    return allowed(CustomerFactory(name="Globex", slug="globex"))


@pytest.fixture
def xapi(acme):
    configuration = XAPIImportConfiguration.objects.create(
        customer=acme,
        name="statements",
        host="sftp.example.com",
        username="lms",
        password=PASSWORD,
        host_key_fingerprint="SHA256:" + "A" * 43,
        source_file="import/xapi.csv",
    )
    XAPIImportMapping.objects.create(configuration=configuration, path=paths.ACTOR_MBOX, column="Learner")
    return configuration


@pytest.fixture
def powerbi(acme):
    return PowerBIConnection.objects.create(
        customer=acme, name="bi", tenant_id="t", client_id="c", client_secret=POWERBI_SECRET, workspace_id="w"
    )


@pytest.fixture
def fake_canvas():
    with FakeCanvas() as server:
        server.setup(7, "10000000000001", CANVAS_SECRET)
        yield server


@pytest.fixture
def canvas(acme, fake_canvas):
    return CanvasConfiguration.objects.create(
        customer=acme,
        name="lms",
        active=True,
        base_url=fake_canvas.base_url,
        account_id=7,
        client_id="10000000000001",
        client_secret=CANVAS_SECRET,
        calls_per_minute=0,
    )


def actions():
    return list(PortalAction.objects.order_by("pk").values_list("action", "counts", "status_code"))


def management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def xapi_rows(xapi, **extra):
    row = XAPIImportMapping.objects.get(configuration=xapi)
    data = {
        **management(MAPPING, 1, 1),
        f"{MAPPING}-0-id": str(row.pk),
        f"{MAPPING}-0-configuration": str(xapi.pk),
        f"{MAPPING}-0-path": row.path,
        f"{MAPPING}-0-column": row.column,
        f"{MAPPING}-0-value_type": row.value_type,
        **management(FILTERS, 1, 0),
        f"{FILTERS}-0-configuration": str(xapi.pk),
        f"{FILTERS}-0-name": "recent",
        f"{FILTERS}-0-field": "Date",
        f"{FILTERS}-0-operator": "after",
        f"{FILTERS}-0-value": "2026-01-01",
    }
    data.update(extra)
    return data


def prefixes(html):
    return sorted(set(re.findall(r'name="([\w-]+)-TOTAL_FORMS"', html)))


def test_the_xapi_imports_mapping_and_filters_are_the_admins_formsets(admin_client, acme, xapi):
    edit = admin_client.get(url("connection_edit", acme, configuration_id=xapi.pk)).content.decode()
    assert url("connection_rows", acme, configuration_id=xapi.pk) in edit
    page = admin_client.get(url("connection_rows", acme, configuration_id=xapi.pk))
    html = page.content.decode()
    assert page.status_code == 200 and PASSWORD not in html
    assert prefixes(html) == [FILTERS, MAPPING]  # the admin's prefixes (the foreign keys' related names)
    assert "Mapping: xAPI JSON path" in html and 'list="xapi-known-paths"' in html  # the admin's own form

    # a refused filter (the model's own check of a date) saves nothing, not even the valid changes
    refused = admin_client.post(
        url("connection_rows", acme, configuration_id=xapi.pk),
        xapi_rows(xapi, **{f"{MAPPING}-0-column": "Email", f"{FILTERS}-0-value": "yesterday"}),
    )
    assert refused.status_code == 400
    assert XAPIImportMapping.objects.get(configuration=xapi).column == "Learner"
    assert not XAPIImportFilter.objects.exists()

    saved = admin_client.post(
        url("connection_rows", acme, configuration_id=xapi.pk), xapi_rows(xapi, **{f"{MAPPING}-0-column": "Email"})
    )
    assert saved.status_code == 302
    assert XAPIImportMapping.objects.get(configuration=xapi).column == "Email"
    assert list(XAPIImportFilter.objects.values_list("configuration_id", "field", "operator")) == [
        (xapi.pk, "Date", "after")
    ]
    assert actions() == [
        ("connections:rows", {"refused": 1}, 400),
        ("connections:rows", {"saved": 1, "added": 1, "changed": 1}, 302),
    ]

    # a row deleted with the admin's DELETE box
    row = XAPIImportFilter.objects.get()
    data = {
        **xapi_rows(xapi),
        **management(FILTERS, 1, 1),
        f"{FILTERS}-0-id": str(row.pk),
        f"{FILTERS}-0-DELETE": "on",
    }
    assert admin_client.post(url("connection_rows", acme, configuration_id=xapi.pk), data).status_code == 302
    assert not XAPIImportFilter.objects.exists()


def test_power_bis_columns_and_a_path_the_model_refuses(admin_client, acme, powerbi):
    html = admin_client.get(url("connection_rows", acme, configuration_id=powerbi.pk)).content.decode()
    assert POWERBI_SECRET not in html
    (prefix,) = prefixes(html)
    row = {
        f"{prefix}-0-connection": str(powerbi.pk),
        f"{prefix}-0-position": "1",
        f"{prefix}-0-name": "Score",
        f"{prefix}-0-value_type": "number",
    }
    target = url("connection_rows", acme, configuration_id=powerbi.pk)
    refused = admin_client.post(target, {**management(prefix, 1, 0), **row, f"{prefix}-0-path": "no such path"})
    assert refused.status_code == 400 and not XAPIColumn.objects.exists()
    saved = admin_client.post(target, {**management(prefix, 1, 0), **row, f"{prefix}-0-path": "result.score.scaled"})
    assert saved.status_code == 302
    assert list(XAPIColumn.objects.values_list("connection_id", "name")) == [(powerbi.pk, "Score")]


def test_a_connection_without_inline_rows_has_no_rows_page(admin_client, acme, canvas):
    assert admin_client.get(url("connection_rows", acme, configuration_id=canvas.pk)).status_code == 404


def test_delete_asks_first_then_deletes_and_keeps_the_runs(admin_client, acme, xapi):
    now = timezone.now()
    run = Run.objects.create(
        configuration=xapi,
        customer=acme,
        channel="XAPI_IMPORT",
        connection_name=xapi.name,
        status=Run.Status.COMPLETED,
        started_at=now,
        heartbeat_at=now,
        finished_at=now,
    )
    edit = admin_client.get(url("connection_edit", acme, configuration_id=xapi.pk)).content.decode()
    assert url("connection_delete", acme, configuration_id=xapi.pk) in edit
    page = admin_client.get(url("connection_delete", acme, configuration_id=xapi.pk))
    html = page.content.decode()
    assert page.status_code == 200 and "Yes, delete the connection" in html and PASSWORD not in html
    assert "runs and their error reports are kept" in html
    assert ChannelConfiguration.objects.filter(pk=xapi.pk).exists()  # a GET deletes nothing

    response = admin_client.post(url("connection_delete", acme, configuration_id=xapi.pk))

    assert response.status_code == 302
    assert response["Location"] == url("connectors", acme)
    assert not ChannelConfiguration.objects.filter(pk=xapi.pk).exists()
    assert not XAPIImportMapping.objects.exists()
    run.refresh_from_db()
    assert run.configuration_id is None and run.connection_name == "statements"  # history kept
    assert actions() == [("connections:delete", {"deleted": 1}, 302)]


def test_authorize_from_the_portal_comes_back_to_the_portal(admin_client, acme, canvas, fake_canvas):
    callback = "http://testserver" + reverse("enterprise_portal:connection_authorized")
    fake_canvas.account.redirect_uri = callback
    edit = admin_client.get(url("connection_edit", acme, configuration_id=canvas.pk)).content.decode()
    assert "Authorize in Canvas" in edit and callback in edit and CANVAS_SECRET not in edit

    started = admin_client.post(url("connection_authorize", acme, configuration_id=canvas.pk))
    assert started.status_code == 302
    remote = started["Location"]
    assert parse_qs(urlsplit(remote).query)["redirect_uri"] == [callback]
    answer = requests.get(remote, allow_redirects=False, timeout=5)
    back = urlsplit(answer.headers["Location"])

    response = admin_client.get(f"{back.path}?{back.query}")

    assert response.status_code == 302
    assert response["Location"] == url("connection_edit", acme, configuration_id=canvas.pk)
    canvas.refresh_from_db()
    assert canvas.authorized and canvas.authorized_by == "ada"
    assert actions() == [
        ("connections:authorize", {"started": 1}, 302),
        ("connections:authorized", {"ok": 1}, 302),
    ]
    # the same answer again: used once
    replay = admin_client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 302
    assert any("does not belong to this browser session" in str(m) for m in get_messages(replay.wsgi_request))


def test_a_second_customers_administrator_gets_404_by_every_url(acme, globex, xapi, powerbi, canvas, fake_canvas):
    client = Client()
    client.force_login(administrator(globex, "gus"))
    targets = []
    for configuration in (xapi, powerbi, canvas):
        for customer in (acme, globex):
            for view in ("connection_rows", "connection_delete", "connection_edit"):
                targets.append(url(view, customer, configuration_id=configuration.pk))
    for target in targets:
        response = client.get(target)
        assert response.status_code == 404, target
        assert b"statements" not in response.content
        assert client.post(target, {}).status_code == 404, target
    for customer in (acme, globex):
        assert client.post(url("connection_authorize", customer, configuration_id=canvas.pk)).status_code == 404
    # a state Acme's administrator started, replayed by Globex's: 404 before any exchange
    ada = Client()
    ada.force_login(administrator(acme, "ada"))
    remote = ada.post(url("connection_authorize", acme, configuration_id=canvas.pk))["Location"]
    state = parse_qs(urlsplit(remote).query)["state"][0]
    callback = reverse("enterprise_portal:connection_authorized")
    assert client.get(callback, {"state": state, "code": "x"}).status_code == 404
    assert client.get(callback, {"state": "forged", "code": "x"}).status_code == 404
    assert ChannelConfiguration.objects.count() == 3
    canvas.refresh_from_db()
    assert not canvas.authorized
    gus = set(PortalAction.objects.filter(username="gus").values_list("status_code", flat=True))
    assert gus == {404}


def test_posts_without_the_csrf_token_are_refused(acme, xapi, canvas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator(acme, "ada"))
    for view in ("connection_rows", "connection_delete"):
        html = client.get(url(view, acme, configuration_id=xapi.pk)).content.decode()
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert forms and all('name="csrfmiddlewaretoken"' in body for body in forms)
    assert client.post(url("connection_delete", acme, configuration_id=xapi.pk)).status_code == 403
    assert client.post(url("connection_authorize", acme, configuration_id=canvas.pk)).status_code == 403
    assert ChannelConfiguration.objects.count() == 2 and not PortalAction.objects.exists()
    assert authorization.SESSION_KEY not in client.session


def test_blackboard_authorize_starts_with_the_portals_callback(acme):
    PortalConnector.objects.create(customer=acme, channel="BLACKBOARD")
    blackboard = BlackboardConfiguration.objects.create(
        customer=acme, name="learn", base_url="https://learn.example.com", client_id="app-key", client_secret="x"
    )
    client = Client()
    client.force_login(administrator(acme, "ada"))
    callback = "http://testserver" + reverse("enterprise_portal:connection_authorized")
    assert "Authorize in Blackboard" in client.get(url("connection_edit", acme, configuration_id=blackboard.pk)).text

    started = client.post(url("connection_authorize", acme, configuration_id=blackboard.pk))

    remote = urlsplit(started["Location"])
    assert (remote.scheme, remote.netloc) == ("https", "learn.example.com")
    query = parse_qs(remote.query)
    assert query["redirect_uri"] == [callback] and query["client_id"] == ["app-key"]
    assert authorization.connection_of(query["state"][0]) == blackboard.pk
    assert str(blackboard.pk) in client.session[authorization.SESSION_KEY]
