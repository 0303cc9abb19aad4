"""A submission of more than one chunk looks its next chunks up on a second connection while the first
writes (decision 0585): the same rows as with one connection, including the addresses whose earlier
chunk's writes the second connection cannot see; no second connection inside a caller's transaction,
after a write, in a repeatable-read transaction, for a preview that writes nothing, for a single chunk,
or when it is refused."""

import io
import logging
import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_link import ChunkLookup, RowResult, RowStatus
from enterprise.services.lookup_apart import LookedUp, LookupApart
from enterprise.services.manage_learners import link_learners_from_csv, preview_upload
from tests.enterprise.test_manage_learners_plan_preview import _world
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def opened():
    """The connections opened while the test runs besides the test's own (Django connection objects)."""
    seen = []
    own = connections["default"]

    def handler(sender, connection, **kwargs):
        if connection is not own:
            seen.append(connection)

    connection_created.connect(handler, weak=False)
    yield seen
    connection_created.disconnect(handler)


def _submit(settings, customer, text, *, chunk_size, apart=True):
    settings.ENTERPRISE = {
        **settings.ENTERPRISE,
        "MANAGE_LEARNERS_CHUNK_SIZE": chunk_size,
        "MANAGE_LEARNERS_LOOKUP_APART": apart,
    }
    return link_learners_from_csv(customer=customer, file=io.BytesIO(text.encode()))


def _statuses(result) -> dict[int, RowStatus]:
    return {row.line: row.status for row in result.rows}


def _expected(chunk_size: int) -> dict[int, RowStatus]:
    """What one connection does with ``_world``'s file (``test_manage_learners_plan_preview``)."""
    together = chunk_size >= 2  # jo's two addresses (lines 13 and 14) in one chunk: one UPDATE re-links both
    return {
        2: RowStatus.LINKED,
        3: RowStatus.ALREADY_LINKED,
        4: RowStatus.LINKED,
        5: RowStatus.CONFLICT,
        6: RowStatus.AMBIGUOUS,
        7: RowStatus.ALREADY_PENDING,
        8: RowStatus.CONFLICT,
        9: RowStatus.PENDING,
        10: RowStatus.DUPLICATE,
        11: RowStatus.LINKED,
        12: RowStatus.ALREADY_LINKED,  # ivy's second address: the link the first made
        13: RowStatus.LINKED,
        14: RowStatus.LINKED if together else RowStatus.ALREADY_LINKED,
    }


@pytest.mark.parametrize("apart", [True, False])
@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_looked_up_apart_every_row_is_as_with_one_connection(settings, opened, chunk_size, apart):
    customer, text = _world()
    result = _submit(settings, customer, text, chunk_size=chunk_size, apart=apart)
    assert result.applied
    statuses = _statuses(result)
    assert {line: statuses[line] for line in range(2, 15)} == _expected(chunk_size)
    messages = {row.line: row.message for row in result.rows}
    if chunk_size == 1:
        # jo's second address, in a later chunk looked up where the first's re-link is not seen: looked up
        # again on the linking connection, it is found linked, not linked again
        assert messages[14] == ""
    # one look-up connection for the stream (the first chunk was full), closed at its end
    assert len(opened) == (1 if apart else 0)
    assert all(other.connection is None for other in opened)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("bulk-link")]
    assert EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).count() == 5
    pending = PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    assert set(pending) == {"fay@example.com", "hal@example.com"}


def test_a_single_chunk_opens_no_connection_and_runs_no_extra_statement(settings, opened):
    customer, text = _world()
    result = _submit(settings, customer, text, chunk_size=100)
    assert _statuses(result)[14] == RowStatus.ALREADY_LINKED  # one chunk: ivy's and jo's rows redone row by row
    assert opened == []


def test_inside_a_callers_transaction_the_lookups_stay_on_its_connection(settings, opened):
    customer, text = _world()
    with transaction.atomic():
        result = _submit(settings, customer, text, chunk_size=1)
    assert {line: status for line, status in _statuses(result).items() if line > 1} == _expected(1)
    assert opened == []


def _lookup_apart() -> LookupApart:
    apart = LookupApart.for_stream(ChunkLookup.for_stream())
    assert apart is not None
    return apart


def _commit_elsewhere(username: str) -> None:
    """A user created and committed by another connection (another thread)."""

    def create():
        try:
            UserFactory(username=username, email=f"{username}@example.com")
        finally:
            connections.close_all()

    thread = threading.Thread(target=create)
    thread.start()
    thread.join()


def _found_users(apart: LookupApart, email: str) -> dict:
    try:
        chunk = apart.looked_up([RowResult(line=1, value=email, email=email)])
        assert isinstance(chunk, LookedUp)
        with apart.connection.cursor() as cursor:  # one read-only transaction, nothing set for the session
            cursor.execute("SELECT current_setting('transaction_read_only'), current_setting('jit')")
            assert cursor.fetchone() == ("on", "off")
        return chunk.found.users
    finally:
        apart.close()


def test_a_repeatable_read_transaction_keeps_its_lookups():
    """Its snapshot (a preview with a plan, decision 0545) is not the second connection's."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        apart = _lookup_apart()
        apart.decide(connection, large=True)
        assert not apart.enabled
        apart.close()


def test_a_read_committed_transactions_lookups_apart_see_what_is_committed():
    with transaction.atomic():
        _commit_elsewhere("late")
        apart = _lookup_apart()
        apart.decide(connection, large=True)
        assert apart.enabled
        assert list(_found_users(apart, "late@example.com")) == ["late@example.com"]


def test_a_preview_that_writes_nothing_keeps_its_lookups(settings, opened, tmp_path):
    """Nothing to look up beside (decision 0440): apart, the look-ups only lengthened the reading thread."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENTERPRISE = {**settings.ENTERPRISE, "MANAGE_LEARNERS_CHUNK_SIZE": 1}
    customer, text = _world()
    _token, preview = preview_upload(customer=customer, upload=ContentFile(text.encode(), name="learners.csv"))
    assert {line: status for line, status in _statuses(preview).items() if line > 1} == _expected(1)
    assert opened == []
    assert LookupApart.for_stream(ChunkLookup.for_stream(), write=False) is None


def test_no_lookups_apart_once_the_transaction_has_written_or_for_a_small_stream():
    with transaction.atomic():
        apart = _lookup_apart()
        apart.decide(connection, large=False)
        assert not apart.enabled
    with transaction.atomic():
        CustomerFactory()  # the transaction's own row, which a second connection would not see
        apart = _lookup_apart()
        apart.decide(connection, large=True)
        assert not apart.enabled
        chunk = [RowResult(line=1, value="a@example.com", email="a@example.com")]
        assert apart.looked_up(chunk) is chunk  # left to the linking connection
        apart.close()


def test_the_setting_off_or_sqlite_style_lookups_keep_one_connection(settings):
    settings.ENTERPRISE = {**settings.ENTERPRISE, "MANAGE_LEARNERS_LOOKUP_APART": False}
    assert LookupApart.for_stream(ChunkLookup.for_stream()) is None
    settings.ENTERPRISE = {**settings.ENTERPRISE, "MANAGE_LEARNERS_LOOKUP_APART": True}
    assert LookupApart.for_stream(ChunkLookup(joined=False)) is None  # three queries a chunk: not apart


def test_a_refused_second_connection_leaves_the_lookups_on_the_first(settings, opened, monkeypatch, caplog):
    create = connections.create_connection

    def refused(alias):
        other = create(alias)
        other.settings_dict = {**other.settings_dict, "PORT": 1}  # nothing listens there
        return other

    monkeypatch.setattr(connections, "create_connection", refused)
    customer, text = _world()
    with caplog.at_level(logging.WARNING, logger="enterprise.services.lookup_apart"):
        result = _submit(settings, customer, text, chunk_size=1)
    assert {line: status for line, status in _statuses(result).items() if line > 1} == _expected(1)
    assert "no second connection" in caplog.text
    assert opened == []  # never connected


def _statements(settings, text: str, *, apart: bool) -> tuple[object, int]:
    """The submission of ``text`` and the statements it ran on every connection, as the benchmark counts them."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def opened(sender, connection, **kwargs):
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    customer = CustomerFactory()
    connection_created.connect(opened, weak=False)
    try:
        with connection.execute_wrapper(count):
            result = _submit(settings, customer, text, chunk_size=10, apart=apart)
    finally:
        connection_created.disconnect(opened)
    return result, len(statements)


def test_the_lookups_apart_cost_two_statements_a_submission_whatever_its_chunks(settings):
    """The decision on the linking connection and the read-only transaction's start on the other; each chunk's
    one look-up runs on one connection or the other."""
    counts = {}
    for apart, prefix in ((False, "one"), (True, "two")):
        text = "email\n" + "".join(f"{prefix}{i}@example.com\n" for i in range(40))
        result, counts[apart] = _statements(settings, text, apart=apart)
        assert result.counts == {RowStatus.HEADER: 1, RowStatus.PENDING: 40}
    assert counts[True] == counts[False] + 2
    assert counts[False] <= 2 + 5 * 4  # the stream's own, then a look-up, a savepoint, an insert, a release a chunk


def test_a_lookup_connection_lost_mid_stream_leaves_the_next_chunks_to_the_first(settings, opened, monkeypatch, caplog):
    """The server may end the look-up connection (``idle_in_transaction_session_timeout`` during a slow
    enrollment): that chunk and the next are looked up by the linking connection, the rows as ever."""
    from django.db import OperationalError

    from enterprise.services import lookup_apart

    opened_for_real = lookup_apart.LookupApart._open

    def open_then_lose(self):
        if not opened_for_real(self):
            return False
        find, calls = self.lookup.find, []

        def find_once(emails):
            calls.append(emails)
            if len(calls) > 1:
                raise OperationalError("terminating connection due to idle-in-transaction timeout")
            return find(emails)

        self.lookup.find = find_once
        return True

    monkeypatch.setattr(lookup_apart.LookupApart, "_open", open_then_lose)
    customer, text = _world()
    with caplog.at_level(logging.WARNING, logger="enterprise.services.lookup_apart"):
        result = _submit(settings, customer, text, chunk_size=1)
    assert {line: status for line, status in _statuses(result).items() if line > 1} == _expected(1)
    assert "the look-ups go back to the first" in caplog.text
    assert len(opened) == 1 and opened[0].connection is None  # closed at the end all the same
