"""The portal's Connectors pages: the allow-list, schedules, run now, execution status, error
report, re-run, Test connection — on the framework's services, scoped to the customer."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrated_channels.integrated_channel.models import OperationSchedule, PortalConnector, Run
from tests.factories import CustomerFactory, StaffFactory
from tests.portal.support import administrator, url
from tests.testconnector import REMOTE
from tests.testconnector.models import EchoConnection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def remote():
    REMOTE["rows"] = []
    REMOTE["exported"] = []
    return REMOTE


@pytest.fixture
def acme():
    customer = CustomerFactory(name="Acme Corp", slug="acme")
    PortalConnector.objects.create(customer=customer, channel="ECHO")
    return customer


@pytest.fixture
def globex():
    customer = CustomerFactory(name="Globex", slug="globex")
    PortalConnector.objects.create(customer=customer, channel="ECHO")
    return customer


@pytest.fixture
def echo(acme):
    return EchoConnection.objects.create(customer=acme, name="main", active=True, token="open-sesame")


def op_url(echo, code="echo_import"):
    return url("connector_operation", echo.customer, configuration_id=echo.pk, code=code)


def test_tiles_show_only_the_allowed_connectors_and_the_customers_connections(admin_client, acme, globex, echo):
    EchoConnection.objects.create(customer=globex, name="globex-secret", active=True)
    page = admin_client.get(url("connectors", acme)).content.decode()
    assert "Echo" in page and "Give the token" in page  # the tile, its getting started
    assert "main" in page and "globex-secret" not in page
    assert op_url(echo) in page and op_url(echo, "echo_export") in page
    PortalConnector.objects.filter(customer=acme).delete()
    page = admin_client.get(url("connectors", acme)).content.decode()
    assert 'id="no-connectors"' in page and op_url(echo) not in page
    assert admin_client.get(op_url(echo)).status_code == 404  # not allowed any more: not found


def test_run_now_with_a_start_date_then_execution_status_and_rerun(admin_client, acme, echo, remote):
    response = admin_client.post(op_url(echo, "echo_export"), {"action": "run", "start_date": "2026-01-15"})
    assert response.status_code == 302
    run = Run.objects.get(kind="echo_export")
    assert run.trigger == Run.Trigger.PORTAL and run.status == Run.Status.COMPLETED
    assert remote["exported"][0]["start_date"].date() == datetime.date(2026, 1, 15)
    page = admin_client.get(op_url(echo, "echo_export"))
    assert [row.run for row in page.context["runs"]] == [run]
    assert "<svg" in page.content.decode() and f"Re-run #{run.pk}" in page.content.decode()
    rerun = admin_client.post(url("connector_rerun", acme, configuration_id=echo.pk, code="echo_export", run_id=run.pk))
    assert rerun.status_code == 302 and rerun["Location"] == op_url(echo, "echo_export")
    assert Run.objects.filter(kind="echo_export").count() == 2
    # only the latest can be re-run: the service refuses the older one
    admin_client.post(url("connector_rerun", acme, configuration_id=echo.pk, code="echo_export", run_id=run.pk))
    assert Run.objects.filter(kind="echo_export").count() == 2


def test_a_future_start_date_is_refused_naming_the_field(admin_client, echo):
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = admin_client.post(op_url(echo, "echo_export"), {"action": "run", "start_date": future})
    assert response.status_code == 400
    assert "cannot be in the future" in " ".join(response.context["run_form"].errors["start_date"])
    assert not Run.objects.exists()


def test_schedule_per_operation(admin_client, echo):
    data = {"action": "schedule", "enabled": "on", "start": "2026-12-01T06:00", "every": "2", "unit": "days"}
    assert admin_client.post(op_url(echo), data).status_code == 302
    schedule = OperationSchedule.objects.get(configuration=echo, operation="echo_import")
    assert (schedule.enabled, schedule.every, schedule.unit) == (True, 2, "days")
    bad = admin_client.post(op_url(echo), {**data, "every": "0"})
    assert bad.status_code == 400 and "every" in bad.context["schedule_form"].errors


def test_error_report_of_a_run(admin_client, acme, echo, remote):
    remote["rows"] = [{"email": "a@example.com"}, {"name": "=cmd|' /C calc'!A0"}]
    admin_client.post(op_url(echo), {"action": "run"})
    run = Run.objects.get()
    response = admin_client.get(
        url("connector_error_report", acme, configuration_id=echo.pk, code="echo_import", run_id=run.pk)
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "row without e-mail" in body and "\n=cmd" not in body and ",=cmd" not in body


def test_test_connection_says_what_it_found_and_redacts_secrets(admin_client, acme, echo):
    response = admin_client.post(url("connector_test", acme, configuration_id=echo.pk), follow=True)
    assert "main: Connected. Columns: email, name." in response.content.decode()
    echo.token = "wrong-token-xyz"
    echo.save()
    page = admin_client.post(url("connector_test", acme, configuration_id=echo.pk), follow=True).content.decode()
    assert "main: Failed" in page and "wrong-token-xyz" not in page


def test_another_customers_administrator_gets_404_on_every_connector_url(client, acme, globex, echo, remote):
    remote["rows"] = [{"email": "a@example.com"}]
    Client().force_login(administrator(acme, "ada"))
    run = Run.objects.create(
        configuration=echo,
        customer=acme,
        channel="ECHO",
        connection_name="main",
        kind="echo_import",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        finished_at=timezone.now(),
        status=Run.Status.COMPLETED,
    )
    client.force_login(administrator(globex, "gus"))
    ids = {"configuration_id": echo.pk, "code": "echo_import"}
    for target in (url("connectors", acme), op_url(echo), url("connector_error_report", acme, **ids, run_id=run.pk)):
        assert client.get(target).status_code == 404, target
    # globex's own URLs with acme's connection in them: not found either
    for target in (
        url("connector_operation", globex, **ids),
        url("connector_error_report", globex, **ids, run_id=run.pk),
    ):
        assert client.get(target).status_code == 404, target
    for target in (
        url("connector_test", globex, configuration_id=echo.pk),
        url("connector_rerun", globex, **ids, run_id=run.pk),
        url("connector_operation", globex, **ids),
    ):
        assert client.post(target, {"action": "run"}).status_code == 404, target
    assert Run.objects.count() == 1


def test_forms_need_the_csrf_token_and_staff_are_refused(acme, echo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator(acme, "ada"))
    assert client.post(op_url(echo), {"action": "run"}).status_code == 403
    assert client.post(url("connector_test", acme, configuration_id=echo.pk)).status_code == 403
    assert not Run.objects.exists()
    staff = Client()
    staff.force_login(StaffFactory(is_superuser=True))
    assert staff.get(url("connectors", acme)).status_code == 403


def test_connectors_page_queries_do_not_grow_with_connections(admin_client, acme, echo):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url("connectors", acme)).status_code == 200
        return len(queries)

    before = count()
    for i in range(4):
        EchoConnection.objects.create(customer=acme, name=f"extra-{i}", active=True)
    assert count() == before
