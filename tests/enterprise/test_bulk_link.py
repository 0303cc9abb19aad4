"""Bulk linking from a CSV upload: every rule of the issue, set-based query counts, races."""

import io
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from enterprise.exceptions import UploadRefused
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import bulk_link
from enterprise.services.bulk_link import RowStatus
from enterprise.services.linking import unlink_users
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory, LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def csv_file(*lines: str, bom: bool = False, newline: str = "\n") -> io.BytesIO:
    text = newline.join(lines) + newline
    return io.BytesIO(text.encode("utf-8-sig" if bom else "utf-8"))


def link(customer, *lines, **kwargs):
    return link_learners_from_csv(customer=customer, file=csv_file(*lines), **kwargs)


def statuses(result):
    return [(row.line, row.status) for row in result.rows]


def test_existing_users_are_linked_case_insensitively_and_trimmed_others_pending():
    customer = CustomerFactory()
    ann = UserFactory(username="ann", email="Ann@Example.COM")
    result = link(customer, "email", "  ann@example.com ", "NEW.Person@Example.com")
    assert statuses(result) == [(1, RowStatus.HEADER), (2, RowStatus.LINKED), (3, RowStatus.PENDING)]
    assert result.applied and not result.refused
    assert EnterpriseCustomerUser.objects.get(customer=customer).user == ann
    assert PendingEnterpriseCustomerUser.objects.get(customer=customer).user_email == "new.person@example.com"
    assert result.counts == {RowStatus.LINKED: 1, RowStatus.PENDING: 1, RowStatus.HEADER: 1}


def test_bom_windows_line_endings_and_blank_lines():
    customer = CustomerFactory()
    UserFactory(email="ann@example.com")
    file = csv_file("ann@example.com", "", "bob@example.com", bom=True, newline="\r\n")
    result = link_learners_from_csv(customer=customer, file=file)
    assert statuses(result) == [(1, RowStatus.LINKED), (3, RowStatus.PENDING)]


def test_already_linked_and_already_pending_are_reported_not_duplicated():
    learner = LearnerFactory(user__email="ann@example.com")
    PendingLearnerFactory(customer=learner.customer, user_email="bob@example.com")
    result = link(learner.customer, "ANN@example.com", "bob@example.com")
    assert statuses(result) == [(1, RowStatus.ALREADY_LINKED), (2, RowStatus.ALREADY_PENDING)]
    assert EnterpriseCustomerUser.objects.count() == 1
    assert PendingEnterpriseCustomerUser.objects.count() == 1


def test_learners_of_another_customer_are_conflicts_naming_it_and_the_rest_is_applied():
    other = CustomerFactory(name="Globex")
    LearnerFactory(customer=other, user__email="ann@example.com")
    PendingLearnerFactory(customer=other, user_email="bob@example.com")
    customer = CustomerFactory()
    result = link(customer, "ann@example.com", "bob@example.com", "carol@example.com")
    assert statuses(result) == [(1, RowStatus.CONFLICT), (2, RowStatus.CONFLICT), (3, RowStatus.PENDING)]
    assert result.rows[0].message == "Already linked to enterprise customer 'Globex'."
    assert result.rows[1].message == "Already pending for enterprise customer 'Globex'."
    assert result.applied
    assert not EnterpriseCustomerUser.objects.filter(customer=customer).exists()
    assert PendingEnterpriseCustomerUser.objects.get(customer=customer).user_email == "carol@example.com"


def test_an_address_several_users_share_is_ambiguous_and_never_guessed():
    UserFactory(username="ann1", email="ann@example.com")
    UserFactory(username="ann2", email="ANN@example.com")
    customer = CustomerFactory()
    result = link(customer, "ann@example.com")
    (row,) = result.rows
    assert row.status == RowStatus.AMBIGUOUS
    assert "2 users share this address (ann1, ann2)" in row.message
    assert not EnterpriseCustomerUser.objects.exists() and not PendingEnterpriseCustomerUser.objects.exists()


def test_for_a_customer_admin_conflicts_and_shared_addresses_name_nobody():
    """``disclose_other_customers=False`` (the API for a customer's administrator, decision 0050)."""
    other = CustomerFactory(name="Globex")
    ann = LearnerFactory(customer=other, user__email="ann@example.com")
    PendingLearnerFactory(customer=other, user_email="bob@example.com")
    UserFactory(username="twin1", email="twin@example.com")
    UserFactory(username="twin2", email="TWIN@example.com")
    customer = CustomerFactory()

    result = link(
        customer,
        "ann@example.com",
        "bob@example.com",
        "twin@example.com",
        "new@example.com",
        disclose_other_customers=False,
    )

    assert statuses(result) == [
        (1, RowStatus.CONFLICT),
        (2, RowStatus.CONFLICT),
        (3, RowStatus.AMBIGUOUS),
        (4, RowStatus.PENDING),
    ]
    assert [(row.message, row.user_id) for row in result.rows[:3]] == [
        ("Belongs to another customer.", None),
        ("Belongs to another customer.", None),
        ("Several users share this address: ask staff to link the right one.", None),
    ]
    assert ann.user_id not in [row.user_id for row in result.rows]
    assert result.applied and PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 1


def test_a_lost_race_names_nobody_to_a_customer_admin_either():
    customer, other = CustomerFactory(), CustomerFactory(name="Globex")
    racer = UserFactory(username="racer", email="racer@example.com")
    original = bulk_link._plan_emails

    def plan_then_a_concurrent_link(cust, rows, plan):
        original(cust, rows, plan)
        if not EnterpriseCustomerUser.objects.filter(user=racer).exists():
            EnterpriseCustomerUser.objects.create(customer=other, user=racer)

    with mock.patch.object(bulk_link, "_plan_emails", plan_then_a_concurrent_link):
        result = link(customer, "racer@example.com", disclose_other_customers=False)
    assert [(row.status, row.message, row.user_id) for row in result.rows] == [
        (RowStatus.CONFLICT, "Belongs to another customer.", None)
    ]


def test_duplicates_in_the_file_are_reported_once_linked():
    customer = CustomerFactory()
    result = link(customer, "new@example.com", "NEW@example.com")
    assert statuses(result) == [(1, RowStatus.PENDING), (2, RowStatus.DUPLICATE)]
    assert PendingEnterpriseCustomerUser.objects.count() == 1


def test_invalid_rows_refuse_the_whole_file_with_line_numbers():
    customer = CustomerFactory()
    UserFactory(email="ann@example.com")
    result = link(customer, "ann@example.com", "new@example.com", "broken", "x@", "other@example.com")
    assert not result.applied
    assert "2 invalid row(s) (line 3, 4)" in result.refused and "nothing was applied" in result.refused
    assert [row.status for row in result.rows] == [
        RowStatus.LINKED,
        RowStatus.PENDING,
        RowStatus.INVALID,
        RowStatus.INVALID,
        RowStatus.PENDING,
    ]
    assert result.rows[0].status.label(dry_run=result.previewing) == "will link"
    assert not EnterpriseCustomerUser.objects.exists()
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_dry_run_reports_what_would_happen_and_changes_nothing():
    customer = CustomerFactory()
    UserFactory(email="ann@example.com")
    result = link(customer, "ann@example.com", "new@example.com", dry_run=True)
    assert statuses(result) == [(1, RowStatus.LINKED), (2, RowStatus.PENDING)]
    assert result.previewing and not result.applied
    assert result.summary() == "1 will link, 1 will be pending"
    assert not EnterpriseCustomerUser.objects.exists()
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_uploading_the_same_file_twice_changes_nothing_the_second_time():
    customer = CustomerFactory()
    for i in range(5):
        UserFactory(email=f"user{i}@example.com")
    lines = [f"user{i}@example.com" for i in range(5)] + [f"new{i}@example.com" for i in range(5)]
    link(customer, *lines)
    before = (
        sorted(EnterpriseCustomerUser.objects.values_list("pk", "user_id", "linked", "modified")),
        sorted(PendingEnterpriseCustomerUser.objects.values_list("pk", "user_email", "modified")),
    )
    again = link(customer, *lines)
    assert again.counts == {RowStatus.ALREADY_LINKED: 5, RowStatus.ALREADY_PENDING: 5}
    after = (
        sorted(EnterpriseCustomerUser.objects.values_list("pk", "user_id", "linked", "modified")),
        sorted(PendingEnterpriseCustomerUser.objects.values_list("pk", "user_email", "modified")),
    )
    assert after == before


def test_unlinked_learners_are_linked_again_on_their_old_row():
    learner = LearnerFactory(user__email="ann@example.com")
    unlink_users(customer=learner.customer, user_ids=[learner.user_id])
    result = link(learner.customer, "ann@example.com")
    assert result.rows[0].status == RowStatus.LINKED and "again" in result.rows[0].message
    learner.refresh_from_db()
    assert learner.linked and learner.unlinked_at is None
    assert EnterpriseCustomerUser.objects.count() == 1


def test_a_file_without_addresses_is_refused():
    with pytest.raises(UploadRefused, match="no e-mail address"):
        link(CustomerFactory(), "email")


def test_inserted_rows_are_what_the_orm_would_have_made():
    customer = CustomerFactory()
    user = UserFactory(email="ann@example.com")
    link(customer, "ann@example.com", "new@example.com")
    learner = EnterpriseCustomerUser.objects.get(user=user)
    assert (learner.customer, learner.active, learner.linked, learner.unlinked_at, learner.attributes) == (
        customer,
        True,
        True,
        None,
        {},
    )
    assert learner.created is not None and learner.modified is not None
    pending = PendingEnterpriseCustomerUser.objects.get()
    assert (pending.customer, pending.user_email) == (customer, "new@example.com")


@pytest.mark.parametrize("rows", [40, 400])
def test_queries_grow_with_chunks_not_rows(settings, rows, django_assert_max_num_queries):
    """Linking N rows costs a constant plus a few queries per chunk: O(N / chunk), never O(N)."""
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 100}
    customer = CustomerFactory()
    User.objects.bulk_create(
        [User(username=f"u{i}", email=f"U{i}@Example.com") for i in range(0, rows, 2)]
    )  # half of the addresses have a user
    lines = [f"u{i}@example.com" for i in range(rows)]
    chunks = -(-rows // 100)
    # 2 (transaction) + 3 per stream on PostgreSQL (the e-mail index check; JIT off and back for
    # chunks of 1,000 addresses or more) + per
    # chunk: look-ups (1 on PostgreSQL, 3 elsewhere), savepoint x2, 2 inserts.
    with django_assert_max_num_queries(5 + 7 * chunks):
        result = link(customer, *lines)
    assert result.counts == {RowStatus.LINKED: rows // 2, RowStatus.PENDING: rows // 2}


def test_a_lost_race_redoes_the_chunk_row_by_row_and_reports_the_conflict():
    """Another customer links a user between our read and our write: the constraint decides."""
    customer, other = CustomerFactory(), CustomerFactory(name="Globex")
    racer = UserFactory(username="racer", email="racer@example.com")
    UserFactory(email="calm@example.com")
    original = bulk_link._plan_emails

    def plan_then_a_concurrent_link(cust, rows, plan):  # runs after the links were read, before writing
        original(cust, rows, plan)
        if not EnterpriseCustomerUser.objects.filter(user=racer).exists():
            EnterpriseCustomerUser.objects.create(customer=other, user=racer)

    with mock.patch.object(bulk_link, "_plan_emails", plan_then_a_concurrent_link):
        result = link(customer, "racer@example.com", "calm@example.com", "new@example.com")
    assert statuses(result) == [(1, RowStatus.CONFLICT), (2, RowStatus.LINKED), (3, RowStatus.PENDING)]
    assert "racer is already linked to enterprise customer 'Globex'" in result.rows[0].message
    assert EnterpriseCustomerUser.objects.get(user=racer).customer == other
    assert EnterpriseCustomerUser.objects.filter(customer=customer).count() == 1
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 1


def test_a_lost_race_on_a_pending_address_is_a_conflict_too():
    customer, other = CustomerFactory(), CustomerFactory(name="Initech")
    original = bulk_link._plan_emails

    def plan_then_a_concurrent_pending(cust, rows, plan):
        original(cust, rows, plan)
        if not PendingEnterpriseCustomerUser.objects.exists():
            PendingEnterpriseCustomerUser.objects.create(customer=other, user_email="new@example.com")

    with mock.patch.object(bulk_link, "_plan_emails", plan_then_a_concurrent_pending):
        result = link(customer, "new@example.com", "fresh@example.com")
    assert statuses(result) == [(1, RowStatus.CONFLICT), (2, RowStatus.PENDING)]
    assert result.rows[0].message == "Already pending for enterprise customer 'Initech'."


def test_an_unexpected_database_error_rolls_everything_back():
    customer = CustomerFactory()
    UserFactory(email="ann@example.com")
    with (
        mock.patch.object(bulk_link, "_write_row_by_row", side_effect=IntegrityError("boom")),
        mock.patch.object(bulk_link, "_write", side_effect=IntegrityError("race")),
        pytest.raises(IntegrityError),
    ):
        link(customer, "ann@example.com", "new@example.com")
    assert not EnterpriseCustomerUser.objects.exists() and not PendingEnterpriseCustomerUser.objects.exists()
