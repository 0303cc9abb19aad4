"""A CSV preview that enrolls nobody plans without writing (decision 0440): the same look-ups and
planning as the confirmation, no INSERT or UPDATE, and row by row what the confirmation then does."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_link import RowResult, RowStatus, link_stream
from enterprise.services.manage_learners import confirm_upload, preview_upload
from tests.factories import CustomerFactory, LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _writes(queries) -> list[str]:
    return [query["sql"][:80] for query in queries if query["sql"].lstrip().upper().startswith(WRITES)]


def _rows(result) -> list[tuple]:
    return [(row.line, row.status, row.message) for row in result.rows]


def _world():
    """A customer and one address of each kind the planning tells apart; the file's text."""
    customer, other = CustomerFactory(name="Mine"), CustomerFactory(name="Other")
    UserFactory(username="ann", email="Ann@Example.com")  # linked
    LearnerFactory(customer=customer, user=UserFactory(username="bob", email="bob@example.com"))  # already
    cat = LearnerFactory(customer=customer, user=UserFactory(username="cat", email="cat@example.com"))
    EnterpriseCustomerUser.objects.filter(pk=cat.pk).update(linked=False, unlinked_at=timezone.now())  # re-linked
    LearnerFactory(customer=other, user=UserFactory(username="dan", email="dan@example.com"))  # conflict
    UserFactory(username="eve1", email="EVE@example.com")  # ambiguous: two users, one address
    UserFactory(username="eve2", email="eve@Example.com")
    PendingLearnerFactory(customer=customer, user_email="fay@example.com")  # already pending
    PendingLearnerFactory(customer=other, user_email="gus@example.com")  # conflict
    # Two addresses PostgreSQL's UPPER() takes for one user's (a dotless i, U+0131, upper-cased to "I"), one
    # user new to the customer and one unlinked from it; elsewhere they are two other addresses.
    UserFactory(username="ivy", email="Ivy@FILE.example")
    jo = LearnerFactory(customer=customer, user=UserFactory(username="jo", email="Jo@KILN.example"))
    EnterpriseCustomerUser.objects.filter(pk=jo.pk).update(linked=False, unlinked_at=timezone.now())
    lines = [
        "Email",
        "ann@example.com",
        "bob@example.com",
        "cat@example.com",
        "dan@example.com",
        "eve@example.com",
        "fay@example.com",
        "gus@example.com",
        "hal@example.com",  # pending
        "ANN@example.com",  # duplicate
        "ivy@file.example",
        "ivy@f\u0131le.example",
        "jo@kiln.example",
        "jo@k\u0131ln.example",
    ]
    return customer, "\n".join(lines) + "\n"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_the_preview_writes_nothing_and_says_row_by_row_what_the_confirmation_does(settings, chunk_size):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": chunk_size}
    customer, text = _world()
    with CaptureQueriesContext(connection) as queries:
        token, preview = preview_upload(customer=customer, upload=ContentFile(text.encode(), name="learners.csv"))
    assert _writes(queries) == []
    done = confirm_upload(customer=customer, token=token)
    assert done.applied
    assert _rows(preview) == _rows(done)
    assert preview.counts == done.counts
    statuses = {line: status for line, status, _message in _rows(done)}
    assert [statuses[line] for line in range(2, 11)] == [
        RowStatus.LINKED,
        RowStatus.ALREADY_LINKED,
        RowStatus.LINKED,
        RowStatus.CONFLICT,
        RowStatus.AMBIGUOUS,
        RowStatus.ALREADY_PENDING,
        RowStatus.CONFLICT,
        RowStatus.PENDING,
        RowStatus.DUPLICATE,
    ]
    assert statuses[11] == RowStatus.LINKED and statuses[13] == RowStatus.LINKED
    if connection.vendor == "postgresql":
        # the second address of ivy finds the link the first made, in its chunk or an earlier one
        assert statuses[12] == RowStatus.ALREADY_LINKED
        # jo's: one UPDATE re-links both rows of a chunk; a later chunk finds it linked; and when
        # ivy's two rows share the chunk, their INSERT fails and the chunk is redone row by row
        together = chunk_size >= 2
        redone = chunk_size == 100  # a single chunk: ivy's rows and jo's together
        assert statuses[14] == (RowStatus.LINKED if together and not redone else RowStatus.ALREADY_LINKED)
    else:  # SQLite's UPPER() folds ASCII only: two other addresses
        assert statuses[12] == statuses[14] == RowStatus.PENDING
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer, user_email="hal@example.com").exists()


def test_a_stream_without_writes_resolves_every_row_and_hands_over_no_members():
    customer = CustomerFactory()
    UserFactory(username="ann", email="ann@example.com")
    rows = [
        RowResult(line=1, value="ann@example.com", email="ann@example.com"),
        RowResult(line=2, value="x", email="x@y.org"),
    ]
    handed = []
    with CaptureQueriesContext(connection) as queries:
        link_stream(customer=customer, chunks=[rows], on_chunk=lambda chunk, links: handed.append(links), write=False)
    assert _writes(queries) == []
    assert [row.status for row in rows] == [RowStatus.LINKED, RowStatus.PENDING]
    assert handed[0].linked == [] and handed[0].pending == []
    assert not EnterpriseCustomerUser.objects.filter(customer=customer).exists()
