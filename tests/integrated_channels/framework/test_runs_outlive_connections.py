"""Runs outlive their connection: a deleted connection's runs stay, marked deleted under the customer;
a connection created again with the same (customer, channel, name) shows them again (decision 0172)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrated_channels.integrated_channel.exceptions import RerunRefused
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import operations
from tests.testconnector.models import EchoConnection

pytestmark = pytest.mark.django_db


def test_deleting_a_connection_keeps_its_runs_marked_deleted(echo, admin_client, remote):
    remote["rows"] = [{"email": "a@example.com"}]
    run = operations.run_now(echo, "echo_import")
    customer = echo.customer

    echo.delete()

    run.refresh_from_db()
    assert (run.configuration_id, run.customer_id, run.channel, run.connection_name) == (
        None,
        customer.pk,
        "ECHO",
        "main",
    )
    assert run.errors.count() == 0 and Run.objects.count() == 1
    page = admin_client.get(reverse("admin:integrated_channel_connectors", args=[customer.pk])).content.decode()
    deleted = page[page.index('class="deleted-connections"') :]
    assert ">main</a> (deleted): 1 run," in deleted
    listing = admin_client.get(reverse("admin:integrated_channel_run_changelist") + "?connection_deleted=yes")
    assert "main <small>(deleted)</small>" in listing.content.decode()
    assert admin_client.get(reverse("admin:integrated_channel_run_change", args=[run.pk])).status_code == 200
    with pytest.raises(RerunRefused, match="belongs to a deleted connection"):
        operations.rerun(run=run)


def test_a_connection_created_again_with_the_same_name_shows_the_runs_and_continues_them(echo, admin_client, remote):
    remote["rows"] = [{"email": "a@example.com"}]
    old = operations.run_now(echo, "echo_import")
    customer = echo.customer
    echo.delete()

    again = EchoConnection.objects.create(customer=customer, name="main", active=True, token="open-sesame")
    other = EchoConnection.objects.create(customer=customer, name="other", active=True, token="open-sesame")

    page = admin_client.get(reverse("admin:integrated_channel_operation", args=[again.pk, "echo_import"]))
    assert f">#{old.pk}<" in page.content.decode()
    assert (
        "deleted-connections"
        not in admin_client.get(reverse("admin:integrated_channel_connectors", args=[customer.pk])).content.decode()
    )
    other_page = admin_client.get(reverse("admin:integrated_channel_operation", args=[other.pk, "echo_import"]))
    assert f">#{old.pk}<" not in other_page.content.decode()

    old.refresh_from_db()
    rerun = operations.rerun(run=old)  # the latest run of the name: re-run on the new connection
    assert (rerun.configuration_id, rerun.connection_name) == (again.pk, "main")
    assert operations.latest_run(again, "echo_import") == rerun


def test_a_renamed_connection_keeps_its_runs_under_their_name(echo, remote):
    """Runs are filed under the name they ran with: renaming starts a new history, as a new connection would."""
    old = operations.run_now(echo, "echo_import")
    echo.name = "renamed"
    echo.save()

    assert operations.latest_run(echo, "echo_import") is None
    assert Run.objects.get(pk=old.pk).configuration_id == echo.pk
