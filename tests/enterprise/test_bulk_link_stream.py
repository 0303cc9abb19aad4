"""The chunk look-up of ``bulk_link.link_stream``: every way of looking up gives the same answers,
queries per 1,000 rows stay at most 2, and memory does not grow with the number of chunks."""

import gc
import tracemalloc
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import bulk_link
from enterprise.services.bulk_link import ChunkLookup, RowResult, RowStatus, link_stream
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory, LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

LOOKUPS = {
    "apart": lambda: ChunkLookup(joined=False),
    "joined, index probes": lambda: ChunkLookup(joined=True, indexed=True, connection=connection),
    "joined, one scan": lambda: ChunkLookup(joined=True, indexed=False, connection=connection),
}


def rows_of(*emails):
    return [RowResult(line=number, value=email, email=email) for number, email in enumerate(emails, start=1)]


@pytest.mark.parametrize("way", list(LOOKUPS))
def test_every_way_of_looking_up_gives_the_same_answers(way):
    if way != "apart" and connection.vendor != "postgresql":
        pytest.skip("the joined look-up is PostgreSQL's")
    customer, other = CustomerFactory(), CustomerFactory(name="Globex")
    UserFactory(username="new", email="New@Example.com")
    mine = LearnerFactory(customer=customer, user=UserFactory(email="mine@example.com"))
    gone = LearnerFactory(customer=customer, user=UserFactory(email="gone@example.com"), linked=False)
    LearnerFactory(customer=other, user=UserFactory(email="theirs@example.com"))
    # Unlinked from another customer, not linked anywhere: free to link here.
    LearnerFactory(customer=other, user=UserFactory(email="left@example.com"), linked=False)
    UserFactory(username="twin1", email="twin@example.com")
    UserFactory(username="twin2", email="TWIN@example.com")
    PendingLearnerFactory(customer=customer, user_email="waiting@example.com")
    PendingLearnerFactory(customer=other, user_email="elsewhere@example.com")
    emails = [
        "new@example.com",
        "mine@example.com",
        "gone@example.com",
        "theirs@example.com",
        "left@example.com",
        "twin@example.com",
        "waiting@example.com",
        "elsewhere@example.com",
        "fresh@example.com",
    ]
    rows = rows_of(*emails)
    with mock.patch.object(ChunkLookup, "for_stream", LOOKUPS[way]), transaction.atomic():
        link_stream(customer=customer, chunks=[rows[:4], rows[4:]])
    assert [row.status for row in rows] == [
        RowStatus.LINKED,
        RowStatus.ALREADY_LINKED,
        RowStatus.LINKED,
        RowStatus.CONFLICT,
        RowStatus.LINKED,
        RowStatus.AMBIGUOUS,
        RowStatus.ALREADY_PENDING,
        RowStatus.CONFLICT,
        RowStatus.PENDING,
    ]
    assert rows[2].message == "Linked again (was unlinked)." and rows[2].user_id == gone.user_id
    assert rows[1].user_id == mine.user_id
    assert rows[3].message == "Already linked to enterprise customer 'Globex'."
    assert "(twin1, twin2)" in rows[5].message
    assert rows[7].message == "Already pending for enterprise customer 'Globex'."
    assert set(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", flat=True)
    ) == {
        "New@Example.com",
        "mine@example.com",
        "gone@example.com",
        "left@example.com",
    }
    assert set(
        PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    ) == {
        "waiting@example.com",
        "fresh@example.com",
    }


def test_at_most_two_queries_per_thousand_rows():
    """10,000 rows in chunks of the default 5,000: a fixed handful of queries per chunk."""
    rows = 10_000
    customer = CustomerFactory()
    User.objects.bulk_create([User(username=f"u{i}", email=f"U{i}@Example.com") for i in range(0, rows, 2)])
    text = "\n".join(f"u{i}@example.com" for i in range(rows)) + "\n"
    from io import BytesIO

    with CaptureQueriesContext(connection) as queries:
        result = link_learners_from_csv(customer=customer, file=BytesIO(text.encode()))
    assert result.counts == {RowStatus.LINKED: rows // 2, RowStatus.PENDING: rows // 2}
    assert len(queries) <= 2 * rows // 1000, [query["sql"][:80] for query in queries]


def _peak_bytes(customer, chunks: int, size: int, start: int) -> int:
    """Peak memory traced while ``chunks`` chunks of ``size`` new addresses are linked, built lazily."""

    def stream():
        for number in range(chunks):
            first = start + number * size
            yield rows_of(*(f"p{first + i}@example.com" for i in range(size)))

    gc.collect()
    tracemalloc.start()
    try:
        with transaction.atomic():
            link_stream(customer=customer, chunks=stream())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_the_chunk_not_the_stream():
    customer = CustomerFactory()
    few = _peak_bytes(customer, chunks=2, size=500, start=0)
    many = _peak_bytes(customer, chunks=12, size=500, start=10_000)
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 7000
    # Six times the rows, the same peak (give or take what the allocator keeps around).
    assert many < few * 1.5, (few, many)
    assert few < 3 * 1024 * 1024  # a chunk of 500 rows: well under 3 MB


@pytest.mark.postgresql
def test_jit_is_off_from_the_first_large_chunk_and_put_back_after(monkeypatch):
    monkeypatch.setattr(bulk_link, "JIT_FROM_ROWS", 2)
    customer = CustomerFactory()
    seen = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = on")
        link_stream(
            customer=customer,
            chunks=[rows_of("a@example.com"), rows_of("b@example.com", "c@example.com"), rows_of("d@example.com")],
            on_chunk=lambda chunk, links: seen.append(_setting("jit")),
        )
        assert seen == ["on", "off", "off"]  # a small chunk leaves it; from a large one, off to the end
        assert _setting("jit") == "on"


def _setting(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def test_the_lookup_is_one_query_per_chunk_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's joined look-up")
    customer = CustomerFactory()
    UserFactory(email="ann@example.com")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        link_stream(customer=customer, chunks=[rows_of("ann@example.com", "new@example.com")] * 1)
    lookups = [
        query["sql"]
        for query in queries
        if "unnest(string_to_array" in query["sql"] and "SELECT e.email" in query["sql"]
    ]
    assert len(lookups) == 1
    assert bulk_link.ChunkLookup.for_stream().joined


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


def test_the_collector_is_paused_for_the_stream_and_collects_each_chunks_cycles():
    import weakref

    customer = CustomerFactory()
    made, seen = [], []

    def on_chunk(chunk, links):
        seen.append((gc.isenabled(), [ref() is None for ref in made]))
        made.append(weakref.ref(_Cycle()))  # unreachable at once: left for the collector

    assert gc.isenabled()
    with transaction.atomic():
        link_stream(
            customer=customer,
            chunks=[rows_of("a@example.com"), rows_of("b@example.com"), rows_of("c@example.com")],
            on_chunk=on_chunk,
        )
    # Off during the stream; the cycle a chunk left is freed before the next chunk is linked.
    assert seen == [(False, []), (False, [True]), (False, [True, True])]
    assert gc.isenabled()


def test_a_stream_leaves_a_paused_collector_paused():
    customer = CustomerFactory()
    gc.disable()
    try:
        with transaction.atomic():
            link_stream(customer=customer, chunks=[rows_of("a@example.com")])
        assert not gc.isenabled()
    finally:
        gc.enable()
