"""The Connectors page of a customer, the connection page's Test connection button, the operation page's
query count (decisions 0175)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.schedules import save_schedule
from integrated_channels.integrated_channel.services import operations
from integrated_channels.integrated_channel.services.execution_status import admin_datetime
from tests.factories import CustomerFactory, StaffFactory
from tests.testconnector.models import EchoConnection

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def staff_client(*codenames):
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def connectors_url(customer):
    return reverse("admin:integrated_channel_connectors", args=[customer.pk])


def test_the_customer_page_links_its_connectors_page(admin_client):
    customer = CustomerFactory()
    page = admin_client.get(reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk]))
    assert f'href="{connectors_url(customer)}"' in page.content.decode()


def test_a_tile_per_installed_connector_with_its_three_entry_points(admin_client, echo, remote):
    remote["rows"] = [{"email": "a@example.com"}]
    run = operations.run_now(echo, "echo_import")
    customer = echo.customer

    page = admin_client.get(connectors_url(customer)).content.decode()

    tiles = re.findall(r'<section class="connector-tile" id="connector-([a-z_]+)">\s*<h2>([^<]+)</h2>', page)
    assert tiles == [
        ("adobe_commerce", "Adobe Commerce"),
        ("echo", "Echo"),
        ("learningstudio", "Pearson LearningStudio"),
        ("sap", "SAP SuccessFactors"),
        ("sftp", "SFTP"),
        ("training_data", "Training Data Access"),
        ("xapi", "xAPI LRS"),
        ("xapi_import", "xAPI statement import"),
    ]  # the test channel is no connector
    assert page.count('<details class="getting-started"><summary>Getting started</summary>') == 8
    sftp_add = reverse("admin:sftp_sftpconfiguration_add")
    assert f'href="{sftp_add}?customer={customer.pk}"' in page
    echo_tile = page[page.index('id="connector-echo"') : page.index('id="connector-learningstudio"')]
    assert reverse("admin:testconnector_echoconnection_change", args=[echo.pk]) in echo_tile
    assert '<span class="run-status run-completed">Completed</span>' in echo_tile
    assert echo_tile.count("<tr>") == 3  # the header and one row per operation (the export never ran: "-")
    assert admin_datetime(run.started_at) in echo_tile  # the admin's date format (issue 23 item 12)


def test_connect_opens_the_form_of_that_connector_with_the_customer_chosen(admin_client, echo):
    add = reverse("admin:testconnector_echoconnection_add") + f"?customer={echo.customer_id}"
    page = admin_client.get(add).content.decode()
    assert f'<option value="{echo.customer_id}" selected>' in page
    assert 'name="name"' in page and 'name="notify_emails"' in page and 'name="notify_when"' in page

    response = admin_client.post(
        reverse("admin:testconnector_echoconnection_add"),
        {
            "customer": echo.customer_id,
            "name": "second",
            "active": "on",
            "endpoint": "x",
            "token": "t",
            "notify_emails": "ops@example.com",
            "notify_when": "failures",
        },
    )
    assert response.status_code == 302
    assert sorted(EchoConnection.objects.values_list("name", flat=True)) == ["main", "second"]


def test_the_page_needs_the_view_permission_and_shows_only_viewable_connectors(echo):
    assert staff_client().get(connectors_url(echo.customer)).status_code == 403
    viewer = staff_client("view_enterprisecustomer", "view_sftpconfiguration")
    page = viewer.get(connectors_url(echo.customer)).content.decode()
    assert 'id="connector-sftp"' in page and 'id="connector-echo"' not in page
    assert "connect-link" not in page  # no add permission


def test_the_connectors_page_costs_the_same_queries_whatever_the_connections_and_runs(
    admin_client, echo, remote, django_assert_max_num_queries
):
    for index in range(8):
        connection = EchoConnection.objects.create(customer=echo.customer, name=f"c{index}", active=True)
        for _run in range(3):
            operations.run_now(connection, "echo_import")
            operations.run_now(connection, "echo_export")
    gone = EchoConnection.objects.create(customer=echo.customer, name="gone", active=True)
    operations.run_now(gone, "echo_import")
    gone.delete()
    admin_client.get(connectors_url(echo.customer))  # warm the session and content types

    with django_assert_max_num_queries(8):  # session, user, customer, connections, 2 for last runs, deleted ones
        page = admin_client.get(connectors_url(echo.customer))
    assert page.content.decode().count('class="run-status run-completed"') == 16


def test_the_operation_page_costs_the_same_queries_whatever_the_runs(admin_client, echo, django_assert_max_num_queries):
    url = reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_import"])
    save_schedule(echo, "echo_import", enabled=True, start=timezone.now(), every=1, unit="days")
    for _run in range(40):
        operations.run_now(echo, "echo_import")
    admin_client.get(url)

    with django_assert_max_num_queries(7):  # session, user, connection twice (base, own), schedule, runs, ...
        page = admin_client.get(url).content.decode()
    assert page.count('class="run-row"') == 25 and page.count('class="chart-done"') == 25


def test_test_connection_is_a_post_button_for_those_who_may_change(echo):
    change = reverse("admin:testconnector_echoconnection_change", args=[echo.pk])
    test = reverse("admin:testconnector_echoconnection_test_connection", args=[echo.pk])
    changer = staff_client("view_echoconnection", "change_echoconnection")
    page = changer.get(change).content.decode()
    assert f'action="{test}"' in page
    token = CSRF_INPUT.search(page[page.index('class="test-connection"') :]).group(1)

    response = changer.post(test, {"csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [(change, 302)]
    assert "Test connection: Connected. Columns: email, name." in response.content.decode()
    assert changer.get(test).status_code == 405
    assert changer.post(test).status_code == 403  # no CSRF token
    viewer = staff_client("view_echoconnection")
    assert 'class="test-connection"' not in viewer.get(change).content.decode()
    assert viewer.post(test, {"csrfmiddlewaretoken": token}).status_code == 403


def test_a_failed_test_says_why_without_the_secret(admin_client, echo):
    echo.token = "wrong-token-42"
    echo.save()
    test = reverse("admin:testconnector_echoconnection_test_connection", args=[echo.pk])
    body = admin_client.post(test, follow=True).content.decode()
    assert "Test connection: Failed: the remote refused the token &#x27;[redacted]&#x27;." in body
    assert "wrong-token-42" not in body


def test_a_disabled_connection_does_not_run_on_demand(admin_client, echo):
    echo.active = False
    echo.save()
    url = reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_import"])
    body = admin_client.post(url, {"action": "run"}, follow=True).content.decode()
    assert "Not run: the connection or its customer is disabled." in body
    assert not Run.objects.exists()


def test_the_connection_list_shows_each_connection_with_its_newest_run(admin_client, echo, remote):
    operations.run_now(echo, "echo_import")
    export = operations.run_now(echo, "echo_export")
    page = admin_client.get(reverse("admin:testconnector_echoconnection_changelist")).content.decode()
    assert f"#{export.pk} Export echoes: Completed</a>" in page and ">main<" in page


def test_a_viewer_sees_the_schedule_and_the_runs_but_no_form(echo):
    save_schedule(echo, "echo_import", enabled=False, start=timezone.now(), every=6, unit="hours")
    operations.run_now(echo, "echo_import")
    viewer = staff_client("view_echoconnection")
    page = viewer.get(reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_import"])).content.decode()
    assert "Schedule: every 6 hours from" in page and "(disabled)" in page
    assert 'class="operation-schedule"' not in page and 'class="operation-run-now"' not in page
    assert page.count('class="run-row"') == 1 and 'value="Re-run"' not in page
