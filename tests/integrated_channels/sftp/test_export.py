import csv
import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from integrated_channels.sftp.services.export import export_transcripts, to_csv
from tests.factories import CourseFactory
from tests.fakes.sftp import fingerprint, generate_key
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (0.5, "0.5"),
    ],
)
def test_formula_cells_are_escaped(value, escaped):
    content = to_csv(("a",), [{"a": value}]).decode()
    assert list(csv.reader(io.StringIO(content, newline=""))) == [["a"], [escaped]]


def test_escaped_cells_survive_a_csv_round_trip():
    content = to_csv(("a", "b"), [{"a": "=1+1", "b": "x"}]).decode()
    assert list(csv.reader(io.StringIO(content))) == [["a", "b"], ["'=1+1", "x"]]


def dates():
    today = timezone.localdate()
    return today - datetime.timedelta(days=7), today


def test_transcripts_of_the_range_are_written_to_the_export_folder(sftp_server):
    config = connection_to(sftp_server, customer__enable_data_sharing_consent=True)
    done = completed_enrollment(config.customer, course=CourseFactory(title="=cmd|' /C calc'!A0"))
    completed_enrollment(config.customer, complete=False)
    completed_enrollment(config.customer, consent=False)  # no consent: never exported
    date_from, date_to = dates()

    result = export_transcripts(configuration=config, date_from=date_from, date_to=date_to)

    name = f"export/learner_transcript_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}.csv"
    assert result.path == name and result.rows == 2
    run = result.run
    assert (run.status, run.kind, run.sent, run.skipped) == ("completed", "file_export", 2, 1)
    rows = list(csv.DictReader(io.StringIO(sftp_server.path(name).read_text())))
    assert [row["status"] for row in rows] == ["completed", "in progress"]
    assert rows[0]["email"] == done.learner.user.email and rows[0]["grade"] == "0.91"
    assert rows[0]["course_title"] == "'=cmd|' /C calc'!A0"


def test_records_outside_the_range_are_left_out(sftp_server):
    config = connection_to(sftp_server)
    completed_enrollment(config.customer)  # certificate issued two days ago
    today = timezone.localdate()

    before = export_transcripts(
        configuration=config, date_from=today - datetime.timedelta(days=30), date_to=today - datetime.timedelta(days=10)
    )
    assert before.rows == 0 and before.run.skipped == 1

    after = export_transcripts(configuration=config, date_from=today - datetime.timedelta(days=1), date_to=today)
    assert after.rows == 0


def test_exports_can_be_zipped(sftp_server):
    config = connection_to(sftp_server, zip_exports=True)
    completed_enrollment(config.customer)
    date_from, date_to = dates()

    result = export_transcripts(configuration=config, date_from=date_from, date_to=date_to)

    stem = f"learner_transcript_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}"
    assert result.path == f"export/{stem}.zip"
    with zipfile.ZipFile(sftp_server.path(result.path)) as archive:
        assert archive.namelist() == [f"{stem}.csv"]
        assert b"completed" in archive.read(f"{stem}.csv")


def test_a_refused_host_key_fails_the_export(sftp_server):
    config = connection_to(sftp_server, host_key_fingerprint=fingerprint(generate_key()))
    date_from, date_to = dates()

    result = export_transcripts(configuration=config, date_from=date_from, date_to=date_to)

    assert (result.run.status, result.run.error_code) == ("failed", "host_key_refused")
    assert not sftp_server.path("export").exists()


def test_the_range_must_be_ordered(sftp_server):
    config = connection_to(sftp_server)
    today = timezone.localdate()
    with pytest.raises(ValueError, match="before the start date"):
        export_transcripts(configuration=config, date_from=today, date_to=today - datetime.timedelta(days=1))


def test_transcripts_carry_the_customers_learner_fields_after_their_own_columns(sftp_server):
    from enterprise.models import LearnerField
    from integrated_channels.sftp.exporters import TRANSCRIPT_COLUMNS

    config = connection_to(sftp_server, customer__enable_data_sharing_consent=True)
    LearnerField.objects.create(customer=config.customer, key="cost_center", label="Cost center")
    done = completed_enrollment(config.customer)
    done.learner.attributes = {"department": "Sales", "cost_center": "CC-7", "unknown": "not exported"}
    done.learner.save()
    date_from, date_to = dates()

    result = export_transcripts(configuration=config, date_from=date_from, date_to=date_to)

    reader = csv.DictReader(io.StringIO(sftp_server.path(result.path).read_text()))
    assert tuple(reader.fieldnames[: len(TRANSCRIPT_COLUMNS)]) == TRANSCRIPT_COLUMNS
    assert reader.fieldnames[len(TRANSCRIPT_COLUMNS) :] == [
        "first_name",
        "last_name",
        "employee_id",
        "manager",
        "department",
        "job_title",
        "location",
        "country",
        "hire_date",
        "sap_user_id",  # built in since issue 22 (decision 0300)
        "cost_center",
    ]
    row = next(reader)
    assert (row["department"], row["cost_center"], row["manager"]) == ("Sales", "CC-7", "")
