"""The connections API: connections of any connector, operations with schedules, run now, test
connection, runs by connection/operation — and one customer's administrators never reach another's."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from integrated_channels.integrated_channel.models import OperationSchedule, Run
from tests.api.conftest import errors_of
from tests.testconnector import REMOTE
from tests.testconnector.models import EchoConnection

BASE = "/integrated_channels/api/v1/connections"
RUNS = "/integrated_channels/api/v1/runs"


@pytest.fixture(autouse=True)
def in_process(settings):
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    REMOTE["rows"], REMOTE["exported"] = [], []


@pytest.fixture
def echo(customer):
    return EchoConnection.objects.create(customer=customer, name="main", active=True, token="open-sesame")


@pytest.fixture
def foreign_echo(other_customer):
    return EchoConnection.objects.create(customer=other_customer, name="main", active=True, token="open-sesame")


def test_create_update_and_delete_a_connection_with_write_only_secrets(api_admin, customer):
    payload = {"channel": "ECHO", "customer": str(customer.uuid), "name": "second", "token": "s3cret-token"}
    created = api_admin.post(f"{BASE}/", payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secrets_set"] == ["token"] and "token" not in body and "s3cret-token" not in created.content.decode()
    pk = body["id"]
    changed = api_admin.patch(f"{BASE}/{pk}/", {"endpoint": "memory://other"}, format="json")
    assert changed.status_code == 200 and changed.json()["endpoint"] == "memory://other"
    assert EchoConnection.objects.get(pk=pk).token == "s3cret-token"  # kept when omitted
    again = api_admin.post(f"{BASE}/", payload, format="json")
    assert (again.status_code, errors_of(again)[0]["field"]) == (400, "name")
    assert api_admin.delete(f"{BASE}/{pk}/").status_code == 204
    assert not EchoConnection.objects.filter(pk=pk).exists()


def test_deleting_keeps_the_runs(api_admin, echo):
    run_id = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_export/run/", {}, format="json").json()["run_id"]
    assert api_admin.delete(f"{BASE}/{echo.pk}/").status_code == 204
    run = api_admin.get(f"{RUNS}/{run_id}/").json()
    assert (run["configuration"], run["connection_name"], run["sent"]) == (None, "main", 1)


def test_operations_list_their_schedule_and_latest_run(api_admin, echo, django_assert_max_num_queries):
    OperationSchedule.objects.create(
        configuration=echo, operation="echo_import", enabled=True, start="2026-01-01T00:00Z", every=2, unit="hours"
    )
    api_admin.post(f"{BASE}/{echo.pk}/operations/echo_export/run/", {}, format="json")
    for _ in range(3):
        api_admin.post(f"{BASE}/{echo.pk}/operations/echo_import/run/", {}, format="json")
    with django_assert_max_num_queries(8):  # one query per operation for its latest run, however many runs
        body = api_admin.get(f"{BASE}/{echo.pk}/operations/").json()
    by_code = {operation["code"]: operation for operation in body}
    assert set(by_code) == {"echo_import", "echo_export"}
    assert by_code["echo_import"]["schedule"]["every"] == 2
    assert by_code["echo_import"]["latest_run"]["id"] == Run.objects.filter(kind="echo_import").latest("id").pk
    assert by_code["echo_export"]["schedule"] is None and by_code["echo_export"]["latest_run"]["status"] == "completed"
    assert by_code["echo_export"]["uses_start_date"] is True


def test_set_schedule_writes_the_periodic_task(api_admin, echo):
    payload = {"enabled": True, "start": "2026-02-01T03:00:00Z", "every": 3, "unit": "days"}
    response = api_admin.put(f"{BASE}/{echo.pk}/operations/echo_import/schedule/", payload, format="json")
    assert response.status_code == 200, response.json()
    schedule = OperationSchedule.objects.get(configuration=echo, operation="echo_import")
    assert (schedule.every, schedule.unit, schedule.enabled) == (3, "days", True)
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled
    bad = api_admin.put(f"{BASE}/{echo.pk}/operations/echo_import/schedule/", {**payload, "every": 0}, format="json")
    assert (bad.status_code, errors_of(bad)[0]["field"]) == (400, "every")
    unknown = api_admin.put(f"{BASE}/{echo.pk}/operations/nope/schedule/", payload, format="json")
    assert (unknown.status_code, errors_of(unknown)[0]["code"]) == (404, "no_such_operation")


def test_run_now_with_a_start_date_answers_202_with_the_run(api_admin, echo):
    response = api_admin.post(
        f"{BASE}/{echo.pk}/operations/echo_export/run/", {"start_date": "2026-03-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["queued"] is False and body["status"] == "completed"
    run = Run.objects.get(pk=body["run_id"])
    assert (run.kind, run.trigger, run.start_date.isoformat()) == ("echo_export", "api", "2026-03-01T00:00:00+00:00")
    assert REMOTE["exported"][0]["run"] == run.pk


def test_run_now_refuses_a_disabled_connection_and_a_running_one(api_admin, echo):
    Run.objects.create(
        configuration=echo,
        customer=echo.customer,
        channel="ECHO",
        connection_name="main",
        kind="echo_import",
        started_at="2099-01-01T00:00Z",
        heartbeat_at="2099-01-01T00:00Z",
    )
    locked = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_import/run/", {}, format="json")
    assert (locked.status_code, errors_of(locked)[0]["code"]) == (409, "run_locked")
    echo.active = False
    echo.save()
    disabled = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_export/run/", {}, format="json")
    assert (disabled.status_code, errors_of(disabled)[0]["code"]) == (409, "inactive")


def test_test_connection_answers_what_it_found(api_admin, echo):
    body = api_admin.post(f"{BASE}/{echo.pk}/test/").json()
    assert body == {"ok": True, "message": "Connected.", "found": ["email", "name"], "found_label": "columns"}
    echo.token = "wrong-token"
    echo.save()
    failed = api_admin.post(f"{BASE}/{echo.pk}/test/").json()
    assert failed["ok"] is False and "wrong-token" not in failed["message"]  # secrets redacted


def test_runs_filtered_by_connection_operation_and_status(api_admin, echo, customer):
    other = EchoConnection.objects.create(customer=customer, name="other", active=True, token="open-sesame")
    REMOTE["rows"] = [{"email": "a@example.com"}, {"name": "no e-mail"}]
    first = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_import/run/", {}, format="json").json()["run_id"]
    second = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_export/run/", {}, format="json").json()["run_id"]
    api_admin.post(f"{BASE}/{other.pk}/operations/echo_export/run/", {}, format="json")
    ids = [run["id"] for run in api_admin.get(f"{RUNS}/?connection={echo.pk}").json()["results"]]
    assert ids == [second, first]  # newest first, not the other connection's
    only = api_admin.get(f"{RUNS}/?connection={echo.pk}&operation=echo_import").json()["results"]
    assert [(run["id"], run["sent"], run["failed"]) for run in only] == [(first, 1, 1)]
    errors = api_admin.get(f"{RUNS}/?connection={echo.pk}&status=completed_with_errors").json()["results"]
    assert [run["id"] for run in errors] == [first]
    report = api_admin.get(f"{RUNS}/{first}/errors/")
    assert "row without e-mail" in b"".join(report.streaming_content).decode()
    assert api_admin.get(f"{RUNS}/?connection=x").status_code == 400


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "{base}/{c}/"),
        ("patch", "{base}/{c}/"),
        ("delete", "{base}/{c}/"),
        ("get", "{base}/{c}/operations/"),
        ("put", "{base}/{c}/operations/echo_import/schedule/"),
        ("post", "{base}/{c}/operations/echo_import/run/"),
        ("post", "{base}/{c}/test/"),
    ],
)
def test_another_customers_connection_is_not_found(api_admin, foreign_echo, method, template):
    url = template.format(base=BASE, c=foreign_echo.pk)
    payload = {"enabled": True, "start": "2026-02-01T03:00:00Z", "every": 3, "unit": "days", "name": "x"}
    response = getattr(api_admin, method)(url, payload, format="json")
    assert response.status_code == 404
    assert EchoConnection.objects.get(pk=foreign_echo.pk).name == "main"
    assert not OperationSchedule.objects.exists() and not Run.objects.exists()


def test_another_customers_connections_and_runs_are_not_listed(api_admin, api_other, echo, foreign_echo):
    api_other.post(f"{BASE}/{foreign_echo.pk}/operations/echo_export/run/", {}, format="json")
    assert [row["id"] for row in api_admin.get(f"{BASE}/").json()["results"]] == [echo.pk]
    assert api_admin.get(f"{RUNS}/?connection={foreign_echo.pk}").json()["results"] == []
    assert api_admin.get(f"{RUNS}/").json()["results"] == []
    foreign = api_admin.post(
        f"{BASE}/", {"channel": "ECHO", "customer": str(foreign_echo.customer_id), "name": "x"}, format="json"
    )
    assert (foreign.status_code, errors_of(foreign)[0]["field"]) == (400, "customer")


def test_staff_see_every_customer(api_staff, echo, foreign_echo):
    assert {row["id"] for row in api_staff.get(f"{BASE}/").json()["results"]} == {echo.pk, foreign_echo.pk}


def test_anonymous_and_learners_are_refused(api_anon, api_learner, echo):
    assert api_anon.get(f"{BASE}/").status_code == 401
    assert api_learner.get(f"{BASE}/{echo.pk}/").status_code == 404


def test_run_now_is_queued_on_celery_when_a_broker_is_configured(api_admin, echo, settings, monkeypatch):
    from integrated_channels.integrated_channel.services import dispatch

    settings.INTEGRATED_CHANNELS = {"USE_CELERY": True}
    sent = []
    monkeypatch.setattr(dispatch, "queue_started_run", lambda *, run, task, kwargs: sent.append((task.name, kwargs)))
    response = api_admin.post(f"{BASE}/{echo.pk}/operations/echo_import/run/", {}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert (body["queued"], body["status"]) == (True, "running")
    assert sent == [("integrated_channels.run_queued_operation", {"run_id": body["run_id"]})]
    assert REMOTE["exported"] == [] and Run.objects.get(pk=body["run_id"]).status == "running"


def test_the_schema_documents_the_operations_as_the_plain_list_the_view_answers():
    """The list of a connection's operations is not paginated: its schema must say an array (schemathesis)."""
    from pathlib import Path

    import yaml

    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/api/openapi.yaml").read_text())
    answer = schema["paths"]["/integrated_channels/api/v1/connections/{id}/operations/"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["type"] == "array"
