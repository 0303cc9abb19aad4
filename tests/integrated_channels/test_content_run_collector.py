"""A progress run pauses Python's cyclic garbage collector and collects its young generations after each chunk
(decision 0580); a course run leaves it alone; the collector is on again after the run, whatever its end."""

from __future__ import annotations

import gc

import pytest

from enterprise.lms.content import progress as content_progress
from enterprise.lms.content.services import CourseRecord, ProgressRecord, import_courses
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import content_runs
from integrated_channels.linkedin_learning.models import LinkedInLearningConnection
from tests.factories import CustomerFactory, LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    customer = CustomerFactory(name="Acme")
    import_courses(provider="linkedin", customer_id=customer.pk, records=[CourseRecord("c0", "C0")])
    for n in range(3):
        LearnerFactory(customer=customer, user__email=f"l{n}@example.com")
    return LinkedInLearningConnection.objects.create(customer=customer, name="L", client_id="k", client_secret="s")


def _pages(count: int, *, fail_at: int | None = None):
    for n in range(count):
        if n == fail_at:
            raise RuntimeError("the provider went away")

        def load(batch, n=n):
            batch.progress = [ProgressRecord(f"l{n % 3}@example.com", "c0", percent=None, source=str(n))]

        yield content_runs.Batch(name=f"p{n}", key=f"p{n}", fingerprint=f"{n:064x}", load=load)


def _run(connection, what, batches):
    return content_runs.execute(
        connection, kind="progress_import", what=what, provider="linkedin", batches=batches, trigger=Run.Trigger.ADMIN
    )


def test_a_progress_run_imports_with_the_collector_paused_and_collects_after_each_chunk(connection, monkeypatch):
    seen, collected = [], []
    real_import, real_collect = content_progress.import_progress, gc.collect
    monkeypatch.setattr(
        content_progress, "import_progress", lambda **kwargs: seen.append(gc.isenabled()) or real_import(**kwargs)
    )
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or real_collect(generation))
    monkeypatch.setattr(content_runs, "PROGRESS_BUFFER", 1)  # a chunk a page
    assert gc.isenabled()

    run = _run(connection, content_runs.PROGRESS, _pages(3))

    assert (run.status, run.sent) == (Run.Status.COMPLETED, 3)
    assert seen == [False, False, False]
    assert collected == [1, 1, 1]
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_failed_run_and_left_alone_by_a_course_run(connection, monkeypatch):
    with pytest.raises(RuntimeError):
        _run(connection, content_runs.PROGRESS, _pages(3, fail_at=1))
    assert gc.isenabled()

    states = []

    def course_pages():
        def load(batch):
            states.append(gc.isenabled())
            batch.courses = [CourseRecord("c1", "C1")]

        yield content_runs.Batch(name="a", key="a", fingerprint="a" * 64, load=load)

    _run(connection, content_runs.COURSES, course_pages())
    assert states == [True]
    gc.disable()
    try:
        _run(connection, content_runs.PROGRESS, _pages(1))
        assert not gc.isenabled()  # off before the run: left off
    finally:
        gc.enable()
