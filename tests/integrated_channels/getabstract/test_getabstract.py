"""getAbstract: xlsx user feeds on the file drop, summaries' metadata from the API (issue 18 item 4)."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import Workbook

from enterprise.lms import get_catalog
from enterprise.lms.content.models import ProviderProgress
from enterprise.lms.local.models import Certificate
from integrated_channels.getabstract import operations
from integrated_channels.getabstract.models import GetAbstractConnection
from integrated_channels.integrated_channel.models import Run
from tests.factories import CustomerFactory, LearnerFactory
from tests.fakes.getabstract import SUMMARIES_PATH, TOKEN_PATH, FakeGetAbstract, Summary
from tests.fakes.sftp import FakeSFTPServer

pytestmark = pytest.mark.django_db
HEADER = ["Email", "Summary ID", "Title", "Consumed At", "Time Spent (minutes)"]


def xlsx(rows, *, sheet="Report", header=HEADER) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def remote():
    summaries = {n: Summary(n, f"Summary {n}") for n in (101, 102, 103)}
    with FakeGetAbstract(summaries=summaries) as fake:
        yield fake


@pytest.fixture
def drop(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp") as server:
        yield server


@pytest.fixture
def connection(remote, drop):
    customer = CustomerFactory(name="Acme")
    for n in range(3):
        LearnerFactory(customer=customer, user__email=f"r{n}@example.com")
    return GetAbstractConnection.objects.create(
        customer=customer,
        name="getAbstract",
        active=True,
        client_id=remote.client_id,
        client_secret=remote.client_secret,
        api_url=remote.url,
        host=drop.host,
        port=drop.port,
        username=drop.username,
        password=drop.password,
        host_key_fingerprint=drop.fingerprint,
        directory="feeds",
        catalogs="Summaries",
        custom_tags="getAbstract",
    )


def put(drop, name: str, content: bytes) -> None:
    path = drop.path(f"feeds/{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_feeds_become_completions_of_summaries_created_from_the_api(remote, drop, connection):
    consumed = datetime.datetime(2026, 12, 1, 9, 30)
    put(drop, "report_export_2026_12_01.xlsx", xlsx([
        ["r0@example.com", 101, "Summary 101", consumed, 12],
        ["R1@example.com", "102", "Summary 102", "2026-12-01", None],
        ["stranger@example.com", 101, "Summary 101", "2026-12-01", 3],
    ]))  # fmt: skip
    put(drop, "report_export_2026_12_02_101500.xlsx", xlsx([["r2@example.com", 103, "", "2026-12-02", 1]]))
    put(drop, "notes.xlsx", b"not a feed: ignored")

    run = operations.import_usage(connection, trigger=Run.Trigger.ADMIN)

    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert list(run.errors.values_list("message", flat=True)) == [
        "report_export_2026_12_01.xlsx, row 4: stranger@example.com is not a linked learner"
    ]
    assert [query["ids"] for query in remote.calls(SUMMARIES_PATH)] == ["101,102", "103"]
    assert len(remote.calls(TOKEN_PATH)) == 1
    course = get_catalog().get_course("getabstract:101")
    assert (course.title, course.provider, course.launch_url) == (
        "Summary 101",
        "getabstract",
        "https://www.getabstract.com/en/summary/101",
    )
    assert course.tags == ("Leadership",)
    progress = ProviderProgress.objects.get(user__email="r0@example.com")
    assert progress.completed_at == datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    assert progress.time_spent_seconds == 720
    assert ProviderProgress.objects.get(user__email="r1@example.com").time_spent_seconds is None
    assert Certificate.objects.count() == 3

    rerun = operations.import_usage(connection, trigger=Run.Trigger.ADMIN)
    assert (rerun.sent, rerun.skipped) == (0, 3)
    assert len(remote.calls(SUMMARIES_PATH)) == 2  # the known summaries are not asked again


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (xlsx([["r0@example.com", 101, "", "2026-12-01", 1]], sheet="Sheet1"),
         "report_export_2026_12_03.xlsx: no sheet named 'Report' (sheets: Sheet1)."),
        (xlsx([["r0@example.com", 101, "2026-12-01"]], header=["Email", "Summary ID", "Date"]),
         "report_export_2026_12_03.xlsx: missing column(s) 'Consumed At' (columns found: 'Email', 'Summary ID', "
         "'Date')."),
        (xlsx([["r0@example.com", 101, "", "2026-12-01", 1], ["r1@example.com", 102, "", "01/12/2026", 1]]),
         "report_export_2026_12_03.xlsx, row 3, column 'Consumed At': '01/12/2026' is not a date (expected "
         "yyyy-MM-dd or ISO 8601)"),
        (xlsx([["r0@example.com", 101, "", "2026-12-01", "=1+1"]]),
         "report_export_2026_12_03.xlsx, row 2, column 'Time Spent (minutes)': a formula (=1+1), not a value."),
        (b"PK\x03\x04 not really a zip", "report_export_2026_12_03.xlsx: not an xlsx workbook (BadZipFile)."),
    ],
)  # fmt: skip
def test_a_malformed_feed_fails_alone_with_its_name_and_row(remote, drop, connection, content, message):
    put(drop, "report_export_2026_12_02.xlsx", xlsx([["r2@example.com", 103, "", "2026-12-02", 1]]))
    put(drop, "report_export_2026_12_03.xlsx", content)

    run = operations.import_usage(connection, trigger=Run.Trigger.ADMIN)

    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1)  # a course, a completion
    assert list(run.errors.values_list("message", flat=True)) == [message]
    assert ProviderProgress.objects.filter(user__email="r2@example.com").exists()
    assert not ProviderProgress.objects.filter(user__email="r0@example.com").exists()


def test_the_start_date_leaves_older_feeds_unread_and_api_failures_fail_the_run(remote, drop, connection):
    put(drop, "report_export_2026_11_30.xlsx", xlsx([["r0@example.com", 101, "", "2026-11-30", 1]]))
    put(drop, "report_export_2026_12_02.xlsx", xlsx([["r2@example.com", 103, "", "2026-12-02", 1]]))
    remote.fail.append((SUMMARIES_PATH, 429, {"Retry-After": "0"}))

    run = operations.import_usage(
        connection, trigger=Run.Trigger.ADMIN, start_date=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    )
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 2)
    assert ProviderProgress.objects.count() == 1

    connection.client_secret = "wrong-secret"
    connection.save()
    from integrated_channels.integrated_channel.transports.oauth2 import forget_tokens

    forget_tokens(connection)
    put(drop, "report_export_2026_12_04.xlsx", xlsx([["r1@example.com", 102, "", "2026-12-04", 1]]))
    failed = operations.import_usage(connection, trigger=Run.Trigger.ADMIN)
    assert failed.status == Run.Status.FAILED
    assert "wrong-secret" not in failed.error_message
    assert not operations.test_connection(connection).ok
