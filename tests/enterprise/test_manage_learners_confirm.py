"""The confirmation of a previewed upload starts from what the preview read of the file (its
rows, validated and de-duplicated, stored beside it: decision 0416) and asks the database again."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import manage_learners, upload_store
from enterprise.services.bulk_link import RowStatus
from enterprise.services.manage_learners import confirm_upload, link_learners_from_csv, preview_upload
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "Email\nann@example.com\nBOB@example.com\nann@EXAMPLE.com\ncarol@example.com\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _preview(customer, text=TEXT):
    return preview_upload(customer=customer, upload=ContentFile(text.encode(), name="learners.csv"))


def _statuses(result):
    return [(row.line, row.status) for row in result.rows]


def test_the_confirmation_does_not_read_the_file_again_and_does_what_the_preview_said(monkeypatch):
    customer = CustomerFactory()
    UserFactory(username="ann", email="Ann@Example.com")
    token, preview = _preview(customer)

    def no_reading(*args, **kwargs):
        raise AssertionError("the confirmation read and validated the file again")

    monkeypatch.setattr(manage_learners, "iter_classified", no_reading)
    monkeypatch.setattr(manage_learners, "iter_csv_rows", no_reading)
    with CaptureQueriesContext(connection) as queries:
        done = confirm_upload(customer=customer, token=token)
    assert done.applied
    assert (
        _statuses(preview)
        == _statuses(done)
        == [
            (1, RowStatus.HEADER),
            (2, RowStatus.LINKED),
            (3, RowStatus.PENDING),
            (4, RowStatus.DUPLICATE),
            (5, RowStatus.PENDING),
        ]
    )
    assert done.rows[3].message == "Same address as line 2."
    assert EnterpriseCustomerUser.objects.filter(customer=customer, user__username="ann").exists()
    assert set(PendingEnterpriseCustomerUser.objects.values_list("user_email", flat=True)) == {
        "bob@example.com",
        "carol@example.com",
    }
    assert len(queries) <= 12, [query["sql"][:80] for query in queries]  # one chunk: a fixed handful
    # applied: the file and what the preview read of it are gone
    assert not default_storage.listdir(upload_store.DIRECTORY)[1]


def test_the_database_is_asked_again_at_the_confirmation():
    customer = CustomerFactory()
    token, preview = _preview(customer)
    assert preview.counts[RowStatus.PENDING] == 3
    UserFactory(username="bob", email="bob@example.com")  # registered between the two requests
    done = confirm_upload(customer=customer, token=token)
    assert done.counts == {RowStatus.LINKED: 1, RowStatus.PENDING: 2, RowStatus.DUPLICATE: 1, RowStatus.HEADER: 1}
    assert EnterpriseCustomerUser.objects.filter(customer=customer, user__username="bob").exists()


def test_without_what_the_preview_read_the_confirmation_reads_the_file():
    customer = CustomerFactory()
    token, preview = _preview(customer)
    name = upload_store._name(token, customer) + upload_store.COMPANION
    assert default_storage.exists(name)
    default_storage.delete(name)  # e.g. a preview made before decision 0416
    done = confirm_upload(customer=customer, token=token)
    assert _statuses(done) == _statuses(preview) and done.applied


def test_a_refused_preview_keeps_nothing_beside_the_file():
    customer = CustomerFactory()
    token, preview = _preview(customer, "ann@example.com\nnot an address\n")
    assert preview.refused
    assert not default_storage.exists(upload_store._name(token, customer) + upload_store.COMPANION)
    again = confirm_upload(customer=customer, token=token)  # read from the file: refused again
    assert again.refused and not again.applied


def test_the_preview_report_read_back_gives_the_rows_of_the_file():
    customer = CustomerFactory()
    direct = link_learners_from_csv(customer=customer, file=io.BytesIO(TEXT.encode()), dry_run=True)
    rows = list(manage_learners.iter_preclassified(direct.spooled_report()))
    assert [(row.line, row.email, row.status) for row in rows] == [
        (1, "", RowStatus.HEADER),
        (2, "ann@example.com", None),
        (3, "bob@example.com", None),
        (4, "ann@example.com", RowStatus.DUPLICATE),
        (5, "carol@example.com", None),
    ]


def test_no_plan_without_a_state_version_or_inside_the_callers_transaction():
    """On SQLite there is no state version, and a preview inside the caller's transaction (this
    test's) cannot take its own snapshot: no plan is kept, the confirmation plans again (0545)."""
    customer = CustomerFactory()
    token, _preview_result = _preview(customer)
    assert not default_storage.exists(upload_store.stored_name(token, customer=customer) + upload_store.PLAN)
    done = confirm_upload(customer=customer, token=token)
    assert done.applied and not done.from_plan
