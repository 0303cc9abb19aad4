"""A progress run loads (parses and maps) its pages in a worker thread ahead of the page it imports, in order,
at most about a chunk of records ahead; errors come where they came before (decision 0580)."""

from __future__ import annotations

import threading

import pytest

from integrated_channels.integrated_channel.services import content_runs
from integrated_channels.integrated_channel.services.content_runs import Batch, _loaded_ahead


def _batches(count: int, *, size: int = 0, drawn: list | None = None, loads: list | None = None, fail_at=None):
    """``count`` batches named 0.. whose load records (name, thread) in ``loads``; ``drawn`` gets each name as it
    is drawn; drawing batch ``fail_at`` raises ``RuntimeError``."""
    for n in range(count):
        if n == fail_at:
            raise RuntimeError("the provider went away")

        def load(batch, n=n):
            if loads is not None:
                loads.append((n, threading.current_thread().name))
            batch.progress = [n]

        if drawn is not None:
            drawn.append(n)
        yield Batch(name=str(n), load=load, size=size)


def _never_skipped(batch):
    return False


def test_batches_come_in_order_loaded_in_a_worker_thread():
    loads = []
    got = [
        (batch.name, loaded, batch.progress)
        for batch, loaded in _loaded_ahead(_batches(7, size=10, loads=loads), _never_skipped, records=30)
    ]
    assert got == [(str(n), True, [n]) for n in range(7)]
    assert sorted(n for n, _thread in loads) == list(range(7))
    assert {thread for _n, thread in loads} != {threading.current_thread().name}
    assert all(thread.startswith("content-run-load") for _n, thread in loads)


def test_a_skipped_batch_or_one_without_load_is_not_loaded():
    batches = [*_batches(3, size=1), Batch(name="no load")]
    skipped = {"1"}
    got = [
        (batch.name, loaded)
        for batch, loaded in _loaded_ahead(iter(batches), lambda batch: batch.name in skipped, records=10)
    ]
    assert got == [("0", True), ("1", False), ("2", True), ("no load", False)]
    assert batches[1].progress == []


@pytest.mark.parametrize(("size", "ahead"), [(10, 3), (0, 1)])
def test_at_most_about_a_chunk_of_records_is_loaded_ahead(size, ahead):
    """Batches of 10 records, 30 records ahead: 3 batches beyond the one handed over; of unknown size: one."""
    drawn = []
    for batch, _loaded in _loaded_ahead(_batches(12, size=size, drawn=drawn), _never_skipped, records=30):
        n = int(batch.name)
        assert len(drawn) <= min(12, n + 1 + ahead)


def test_a_load_error_is_raised_when_its_batch_comes():
    def broken():
        yield from _batches(2, size=1)

        def load(batch):
            raise ValueError("not a feed")

        yield Batch(name="bad", load=load, size=1)
        yield from _batches(2, size=1)

    got = []
    with pytest.raises(ValueError, match="not a feed"):
        for batch, _loaded in _loaded_ahead(broken(), _never_skipped, records=100):
            got.append(batch.name)
    assert got == ["0", "1"]


def test_a_failure_while_drawing_comes_after_the_batches_drawn_before_it():
    got = []
    with pytest.raises(RuntimeError, match="went away"):
        for batch, loaded in _loaded_ahead(_batches(9, size=1, fail_at=5), _never_skipped, records=100):
            got.append((batch.name, loaded, batch.progress))
    assert got == [(str(n), True, [n]) for n in range(5)]


def test_closing_early_stops_the_worker():
    before = threading.active_count()
    loads = []
    source = _loaded_ahead(_batches(50, size=1, loads=loads), _never_skipped, records=20)
    assert next(source)[0].name == "0"
    source.close()
    assert threading.active_count() == before
    assert len(loads) <= 21  # the ones queued and not started were cancelled


@pytest.mark.django_db
def test_a_progress_run_loads_ahead_and_imports_what_a_run_without_it_does(monkeypatch):
    """The same records, counts and rows with and without the worker; with it, no load runs in the run's thread."""
    from enterprise.lms.content.models import ProviderProgress
    from enterprise.lms.content.services import CourseRecord, ProgressRecord, import_courses
    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.linkedin_learning.models import LinkedInLearningConnection
    from tests.factories import CustomerFactory, LearnerFactory

    customer = CustomerFactory(name="Acme")
    connection = LinkedInLearningConnection.objects.create(
        customer=customer, name="L", client_id="k", client_secret="s"
    )
    import_courses(
        provider="linkedin", customer_id=customer.pk, records=[CourseRecord(f"c{n}", f"C{n}") for n in range(3)]
    )
    for n in range(4):
        LearnerFactory(customer=customer, user__email=f"l{n}@example.com")
    threads = []

    def pages():
        for page in range(6):

            def load(batch, page=page):
                threads.append(threading.current_thread())
                batch.progress = [
                    ProgressRecord(f"l{(page + i) % 5}@example.com", f"c{i % 3}", percent=None, source=f"{page}.{i}")
                    for i in range(3)
                ]

            yield Batch(name=f"p{page}", key=f"p{page}", fingerprint=f"{page:064x}", load=load, size=3)

    def run():
        return content_runs.execute(
            connection,
            kind="progress_import",
            what=content_runs.PROGRESS,
            provider="linkedin",
            batches=pages(),
            trigger=Run.Trigger.ADMIN,
        )

    monkeypatch.setattr(content_runs, "PROGRESS_BUFFER", 4)  # several chunks
    monkeypatch.setattr(content_runs, "LOAD_AHEAD", False)
    plain = run()
    plain_rows = sorted(ProviderProgress.objects.values_list("user__email", "course__provider_id"))
    assert threads and all(thread is threading.current_thread() for thread in threads)
    ProviderProgress.objects.all().delete()
    content_runs.content_pages.ImportedPage.objects.all().delete()
    threads.clear()
    monkeypatch.setattr(content_runs, "LOAD_AHEAD", True)

    ahead = run()

    assert threads and not any(thread is threading.current_thread() for thread in threads)
    fields = ("status", "selected", "sent", "skipped", "failed", "skip_reasons")
    assert [getattr(ahead, name) for name in fields] == [getattr(plain, name) for name in fields]
    assert sorted(ProviderProgress.objects.values_list("user__email", "course__provider_id")) == plain_rows
    assert sorted(ahead.errors.values_list("message", flat=True)) == sorted(
        plain.errors.values_list("message", flat=True)
    )
