"""The price paid and the date of purchase in learner transcripts and the training report (the seed's FAQ).

The purchase import stamps the enrollments an order makes (a pending learner's carry it to registration);
the shared report selections (Power BI, Marketo, Salesforce) and the SFTP transcript read it from there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.services.pending import convert_pending_learner
from integrated_channels.integrated_channel.exporters import reports
from integrated_channels.sftp.exporters import TRANSCRIPT_COLUMNS, with_learning_paths, with_purchases
from tests.factories import EnrollmentFactory, LearnerFactory, UserFactory

from .test_purchases import COURSE, connection, order, run_import, store  # noqa: F401 (fixtures)

ORDERED = datetime.datetime(2027, 1, 5, 9, 59, tzinfo=datetime.UTC)


def _stamps(enrollment):
    return (enrollment.paid_amount, enrollment.paid_currency, enrollment.purchased_at)


def test_an_order_stamps_the_enrollment_it_makes_and_a_pending_learner_keeps_it(connection, store):  # noqa: F811
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    store.orders = [
        order(1, "Alice@Acme.example", (COURSE, 49.9)),  # the address's case differs from the account's
        order(2, "newcomer@acme.example", (COURSE, 49.9)),
    ]
    run_import(connection)
    paid = (Decimal("49.900"), "USD", ORDERED)
    assert _stamps(EnterpriseCourseEnrollment.objects.get(learner=alice)) == paid
    assert _stamps(PendingEnrollment.objects.get()) == paid

    newcomer = UserFactory(username="newcomer", email="newcomer@acme.example")
    convert_pending_learner(user=newcomer)
    assert _stamps(EnterpriseCourseEnrollment.objects.get(learner__user=newcomer)) == paid

    # a second order of a training already bought and in force does not replace the purchase that made it
    later = order(3, "alice@acme.example", (COURSE, 49.9), updated="2027-02-01 10:00:00")
    later["created_at"] = "2027-02-01 09:00:00"
    store.orders.append(later)
    run_import(connection)
    assert _stamps(EnterpriseCourseEnrollment.objects.get(learner=alice)) == paid


def test_an_enrollment_without_a_purchase_takes_the_first_order_of_the_sync(connection, store):  # noqa: F811
    """An administrator enrolled the learner (or a pending learner) before they bought: the enrollment is
    stamped with the earliest of the sync's orders of the training, and written once."""
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    EnrollmentFactory(learner=alice, course_id=COURSE, mode="verified")
    later = order(2, "alice@acme.example", (COURSE, 49.9))
    later["created_at"] = "2027-01-05 10:30:00"
    store.orders = [later, order(1, "alice@acme.example", (COURSE, 49.9))]
    run = run_import(connection)
    assert (run.sent, run.failed) == (2, 0)
    assert _stamps(EnterpriseCourseEnrollment.objects.get(learner=alice)) == (Decimal("49.900"), "USD", ORDERED)


def test_a_refunded_training_bought_again_carries_the_new_purchase(connection, store):  # noqa: F811
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    store.orders = [order(1, "alice@acme.example", (COURSE, 49.9))]
    run_import(connection)
    store.creditmemos = [{"entity_id": 9, "updated_at": "2027-01-06 10:00:00", "items": [{"order_item_id": "10"}]}]
    run_import(connection)
    enrollment = EnterpriseCourseEnrollment.objects.get(learner=alice)
    assert enrollment.unenrolled_at is not None and enrollment.purchased_at == ORDERED  # the history stays
    again = order(2, "alice@acme.example", (COURSE, 49.9), updated="2027-02-01 10:00:00")
    again["created_at"] = "2027-02-01 09:00:00"
    store.orders.append(again)
    run_import(connection)
    enrollment.refresh_from_db()
    assert enrollment.unenrolled_at is None
    assert enrollment.purchased_at == datetime.datetime(2027, 2, 1, 9, tzinfo=datetime.UTC)


def test_transcripts_and_the_training_report_show_the_purchase(connection, store):  # noqa: F811
    LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    bob = LearnerFactory(customer=connection.customer, user=UserFactory(username="bob", email="bob@acme.example"))
    EnrollmentFactory(learner=bob, course_id=COURSE, mode="verified")  # enrolled by an admin: not bought
    store.orders = [order(1, "alice@acme.example", (COURSE, 49.9))]
    run_import(connection)
    now = timezone.now()
    rows = {row["Username"]: row for _key, row in reports.transcripts(connection.customer, None, now).rows}
    assert {k: rows["alice"][k] for k in ("Price", "Currency", "PurchasedAt")} == {
        "Price": 49.9,
        "Currency": "USD",
        "PurchasedAt": ORDERED.isoformat(),
    }
    assert {k: rows["bob"][k] for k in ("Price", "Currency", "PurchasedAt")} == dict.fromkeys(
        ("Price", "Currency", "PurchasedAt")
    )
    [(_key, training)] = list(reports.training(connection.customer, None, now).rows)
    assert {k: training[k] for k in ("Enrollments", "Price", "Currency", "Purchases", "LastPurchasedAt")} == {
        "Enrollments": 2,
        "Price": 49.9,
        "Currency": "USD",
        "Purchases": 1,
        "LastPurchasedAt": ORDERED.isoformat(),
    }


def test_the_sftp_transcript_has_purchase_columns(connection, store):  # noqa: F811
    assert TRANSCRIPT_COLUMNS[-3:] == ("price", "currency", "purchased_at")
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    bought = EnrollmentFactory(learner=alice, course_id=COURSE, program_id="p-1")
    EnterpriseCourseEnrollment.objects.filter(pk=bought.pk).update(
        paid_amount=Decimal("120"), paid_currency="EUR", purchased_at=ORDERED
    )
    free = EnrollmentFactory(learner=alice, course_id="course-v1:Acme+Free+2027")
    rows = [
        {"learner_id": alice.pk, "enrollment_id": e.pk, "email": "a", "username": "alice", "course_id": e.course_id}
        | {"status": "in progress", "enrolled_at": "", "completed_at": ""}
        for e in (bought, free)
    ]
    with_purchases(rows)
    assert [(r["price"], r["currency"], r["purchased_at"]) for r in rows] == [
        ("120", "EUR", ORDERED.isoformat()),
        ("", "", ""),
    ]
    path = [row for row in with_learning_paths(rows) if row["enrollment_id"] is None]
    assert [(r["price"], r["currency"], r["purchased_at"]) for r in path] == [("120", "EUR", ORDERED.isoformat())]


@pytest.mark.parametrize(
    "fields",
    [
        {"paid_amount": Decimal("10")},  # no currency, no date
        {"paid_amount": Decimal("10"), "paid_currency": "XXX", "purchased_at": ORDERED},  # not a currency
        {"paid_amount": Decimal("0"), "paid_currency": "USD", "purchased_at": ORDERED},  # nothing paid
        {"purchased_at": ORDERED},  # a date without a price
    ],
)
def test_the_database_refuses_a_partial_purchase(db, fields):
    learner = LearnerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCourseEnrollment.objects.create(learner=learner, course_id="c", mode="audit", **fields)
