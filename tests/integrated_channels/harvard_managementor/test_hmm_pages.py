"""Files imported whole before are skipped unread by the next run (decision 0455), with the counts a reading gives;
their courses count as seen (``last_seen`` to the hour, not filed again: decision 0490); a file with a refused
record is read again."""

from __future__ import annotations

import datetime

import pytest

from enterprise.lms.content.models import CatalogCourse, CourseTag, ImportedPage, ProviderCourse, ProviderProgress
from enterprise.lms.local.models import Course, CourseMode
from integrated_channels.harvard_managementor import feeds, operations
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import content_runs
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db

METADATA = """course_id,title,description,language,duration_minutes,launch_url,topics
hmm-coaching,Coaching,Coach your team,en,90,https://hmm.example.com/coaching,Leadership;People
hmm-budgeting,Budgeting,Plan a budget,en,45.5,https://hmm.example.com/budgeting,Finance
"""
FEED = (
    "email,course_id,last_access,percent_complete,completion_date\n"
    "l0@example.com,hmm-coaching,2026-11-30,100,2026-11-30\n"
    "late@example.com,hmm-budgeting,2026-11-30,40,\n"
)


@pytest.fixture
def parsed(monkeypatch):
    """The files the CSV reader was given, by name."""
    names = []
    real = feeds.csv_table

    def spy(content, *, source, **kwargs):
        names.append(source)
        return real(content, source=source, **kwargs)

    monkeypatch.setattr(feeds, "csv_table", spy)
    return names


def counts(run: Run) -> tuple:
    return run.status, run.selected, run.sent, run.skipped, run.failed, run.skip_reasons


def test_an_unchanged_metadata_file_is_skipped_unread_and_its_courses_seen(sftp_server, connection, parsed):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    first = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert counts(first)[:3] == (Run.Status.COMPLETED, 2, 2)
    before = ProviderCourse.objects.get(provider_id="hmm-coaching").last_seen
    # An administrator took a course out of a catalog and removed the custom tag: a skip leaves that alone.
    CatalogCourse.objects.filter(course__course_id="hmm:hmm-coaching", catalog__name="Leadership").delete()
    CourseTag.objects.filter(course__course_id="hmm:hmm-coaching", name="Harvard").delete()

    rerun = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert parsed == ["hmm12_metadata.csv"]  # read by the first run only
    assert counts(rerun) == (Run.Status.COMPLETED, 2, 0, 2, 0, {"unchanged": 2})
    assert ProviderCourse.objects.get(provider_id="hmm-coaching").last_seen == before  # seen within the hour
    assert not ProviderCourse.objects.filter(retired=True).exists()  # seen: the retirement of unseen ones spares them
    assert CatalogCourse.objects.filter(course__course_id="hmm:hmm-coaching").count() == 1
    assert not CourseTag.objects.filter(course__course_id="hmm:hmm-coaching", name="Harvard").exists()

    # Later than the resolution, a skip renews last_seen (one statement); a changed file puts the entries back.
    ProviderCourse.objects.update(last_seen=before - datetime.timedelta(hours=2))
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert ProviderCourse.objects.get(provider_id="hmm-coaching").last_seen > before
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA.replace("Plan a budget", "Plan a yearly budget"))
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert CatalogCourse.objects.filter(course__course_id="hmm:hmm-coaching").count() == 2
    assert CourseTag.objects.filter(course__course_id="hmm:hmm-coaching", name="Harvard").exists()
    assert not ProviderCourse.objects.filter(retired=True).exists()


# A course run's own queries: the run's start and end, the catalogs (2), the ledger, last_seen (one UPDATE).
FIXED_QUERIES = 12


@pytest.mark.parametrize("count", [2, 12])
def test_skipped_course_pages_take_one_query_each_and_file_nothing(connection, count, django_assert_max_num_queries):
    from enterprise.lms.content.services import CourseRecord

    def pages(count):
        for n in range(count):

            def load(batch, n=n):
                batch.courses = [CourseRecord(f"hmm-{n}-{i}", f"Course {n}.{i}") for i in range(3)]

            yield content_runs.Batch(name=f"page {n}", key=f"page {n}", fingerprint=f"{n:064x}", load=load)

    def run(count):
        return content_runs.execute(
            connection,
            kind="course_import",
            what=content_runs.COURSES,
            provider="hmm",
            batches=pages(count),
            trigger=Run.Trigger.ADMIN,
        )

    run(12)
    seen = sorted(ProviderCourse.objects.values_list("pk", "last_seen"))
    with django_assert_max_num_queries(FIXED_QUERIES + count) as captured:  # one existence count per page
        rerun = run(count)
    assert rerun.sent == 0 and rerun.skipped == 3 * count
    assert sorted(ProviderCourse.objects.values_list("pk", "last_seen")) == seen  # seen within the hour: no write
    filed = (CatalogCourse._meta.db_table, CourseTag._meta.db_table)
    assert not [q["sql"] for q in captured.captured_queries if any(f'INTO "{table}"' in q["sql"] for table in filed)]


def test_a_skipped_file_whose_course_is_gone_is_read_again(sftp_server, connection, parsed):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    gone = ProviderCourse.objects.get(provider_id="hmm-budgeting")
    course = gone.course
    gone.delete()
    CourseMode.objects.filter(course=course).delete()
    course.delete()

    rerun = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert parsed == ["hmm12_metadata.csv", "hmm12_metadata.csv"]
    assert counts(rerun)[:4] == (Run.Status.COMPLETED, 2, 1, 1)
    assert Course.objects.filter(course_id="hmm:hmm-budgeting").exists()


def test_a_changed_file_or_other_catalogs_are_read(sftp_server, connection, parsed):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    connection.catalogs = "Leadership, Management, Finance"
    connection.save()
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA.replace("Plan a budget", "Plan a yearly budget"))
    changed = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert parsed == ["hmm12_metadata.csv"] * 3
    assert CatalogCourse.objects.filter(catalog__name="Finance").count() == 2
    assert (changed.sent, changed.skipped) == (1, 1)


def test_a_feed_with_a_refused_record_is_read_again_until_it_all_goes_in(sftp_server, connection, parsed):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    LearnerFactory(customer=connection.customer, user__email="l0@example.com")
    sftp_server.write("hmm/client_hmm12_20261130.csv", FEED)

    first = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)
    assert counts(first)[:5] == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1, 0, 1)  # late@ is not a linked learner yet
    LearnerFactory(customer=connection.customer, user__email="late@example.com")
    second = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)
    assert counts(second) == (Run.Status.COMPLETED, 2, 1, 1, 0, {"unchanged": 1})
    third = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)

    assert parsed.count("client_hmm12_20261130.csv") == 2  # the third run skipped it
    assert counts(third) == (Run.Status.COMPLETED, 2, 0, 2, 0, {"unchanged": 2})
    assert ProviderProgress.objects.count() == 2
    # A run from a start date (on demand, a rerun of one) reads every file again.
    dated = operations.import_progress(
        connection, trigger=Run.Trigger.ADMIN, start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    )
    assert parsed.count("client_hmm12_20261130.csv") == 3
    assert counts(dated) == (Run.Status.COMPLETED, 2, 0, 2, 0, {"unchanged": 2})
    assert ImportedPage.objects.filter(what="progress").count() == 1


def _progress_pages(customer, pages: int):
    """``pages`` fingerprinted batches of one progress record each (learners l0..)."""
    from enterprise.lms.content.services import ProgressRecord

    for n in range(pages):

        def load(batch, n=n):
            batch.progress = [ProgressRecord(f"l{n}@example.com", "hmm-coaching", percent=None)]

        yield content_runs.Batch(name=f"page {n}", key=f"page {n}", fingerprint=f"{n:064x}", load=load)


@pytest.mark.parametrize("pages", [2, 12])
def test_skipped_progress_pages_take_no_query_each(sftp_server, connection, pages, django_assert_num_queries):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    for n in range(pages):
        LearnerFactory(customer=connection.customer, user__email=f"l{n}@example.com")

    def run():
        return content_runs.execute(
            connection,
            kind="progress_import",
            what=content_runs.PROGRESS,
            provider="hmm",
            batches=_progress_pages(connection.customer, pages),
            trigger=Run.Trigger.ADMIN,
        )

    assert run().sent == pages
    # the run's start and end, one read of the ledger: the same whatever the number of pages
    with django_assert_num_queries(5) as captured:
        rerun = run()
    assert (rerun.sent, rerun.skipped) == (0, pages)
    assert sum("lms_content_importedpage" in query["sql"] for query in captured.captured_queries) == 1
