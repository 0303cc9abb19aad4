"""The run's counts are written while an SFTP import or export runs, so the admin sees them grow (decision 0140)."""

import pytest

from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services.results import Progress
from integrated_channels.sftp.services import export as export_service
from integrated_channels.sftp.services.export import export_transcripts
from integrated_channels.sftp.services.user_import import import_users
from tests.integrated_channels.sftp.factories import connection_to

DIR = "import/user/internal"
COUNTS = ("status", "selected", "sent", "skipped", "failed")


def running_counts(read_connection=None):
    """The counts of the running run, read with the test's connection or ``read_connection`` (another session)."""
    if read_connection is None:
        return Run.objects.filter(status=Run.Status.RUNNING).values_list(*COUNTS).get()
    with read_connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COUNTS)} FROM {Run._meta.db_table} WHERE status = %s", [Run.Status.RUNNING])
        return cursor.fetchone()


class Observer(Progress):
    """A progress bar that, between two chunks, reads the run's counts as the admin would."""

    def __init__(self, read):
        self.read, self.seen, self.total = read, [], None

    def start(self, *, total, description):
        self.total = total

    def advance(self, count):
        self.seen.append(self.read())


def write_rows(server):
    rows = [f"user{i}@example.com,boss@example.com,D{i}" for i in range(4)] + ["not-an-email,boss@example.com,X"]
    server.write(f"{DIR}/a.csv", "Email,Manager,Department\n" + "\n".join(rows) + "\n")


@pytest.mark.django_db(transaction=True)  # on PostgreSQL the counts are read as committed
def test_the_import_writes_its_counts_after_each_chunk(sftp_server, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 2}
    write_rows(sftp_server)
    observer = Observer(running_counts)

    result = import_users(configuration=connection_to(sftp_server), progress=observer)

    assert observer.total == 4  # the rows to link (the malformed one is rejected before)
    assert observer.seen == [("running", 5, 2, 0, 1), ("running", 5, 4, 0, 1)]
    run = Run.objects.get(pk=result.run.pk)
    assert (run.status, run.selected, run.sent, run.skipped, run.failed) == ("completed_with_errors", 5, 4, 0, 1)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_counts_are_visible_to_other_sessions_while_the_import_transaction_is_open(sftp_server, settings):
    from django.db import connection

    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 2}
    write_rows(sftp_server)
    other = connection.copy()  # the admin's session
    try:
        observer = Observer(lambda: running_counts(other))
        result = import_users(configuration=connection_to(sftp_server), progress=observer)
    finally:
        other.close()

    assert observer.seen == [("running", 5, 2, 0, 1), ("running", 5, 4, 0, 1)]
    assert Run.objects.get(pk=result.run.pk).sent == 4


@pytest.mark.django_db(transaction=True)  # on PostgreSQL the counts are read as committed
def test_a_failed_import_does_not_keep_the_counts_of_its_rolled_back_chunks(sftp_server, settings, monkeypatch):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 2}
    write_rows(sftp_server)
    from integrated_channels.integrated_channel.imports import pipeline

    def broken(*args, **kwargs):
        raise pipeline.ImportRefused("the cleared attributes could not be written")

    monkeypatch.setattr(pipeline, "clear_keys", broken)  # the last step, after every chunk
    observer = Observer(running_counts)

    result = import_users(configuration=connection_to(sftp_server), progress=observer)

    assert observer.seen[-1] == ("running", 5, 4, 0, 1)  # counted while it ran...
    run = Run.objects.get(pk=result.run.pk)
    assert (run.status, run.selected, run.sent, run.failed) == ("failed", 0, 0, 0)  # ...nothing once rolled back
    assert sorted(p.name for p in sftp_server.path(DIR).iterdir()) == ["a.csv"]


@pytest.mark.django_db(transaction=True)  # on PostgreSQL the counts are read as committed
def test_an_export_shows_its_selection_while_it_uploads(sftp_server, monkeypatch):
    from tests.integrated_channels.sftp.test_export import completed_enrollment, dates

    config = connection_to(sftp_server, customer__enable_data_sharing_consent=True)
    completed_enrollment(config.customer)
    completed_enrollment(config.customer, consent=False)  # skipped
    seen = []
    upload = export_service.client.upload

    def observed_upload(*args, **kwargs):
        seen.append(running_counts())
        return upload(*args, **kwargs)

    monkeypatch.setattr(export_service.client, "upload", observed_upload)
    date_from, date_to = dates()

    result = export_transcripts(configuration=config, date_from=date_from, date_to=date_to)

    assert seen == [("running", 2, 0, 1, 0)]  # selected and skipped known before the upload ends
    assert (result.run.status, result.run.sent) == ("completed", 1)
