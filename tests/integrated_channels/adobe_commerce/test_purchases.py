"""Adobe Commerce purchases: complete orders → enterprise enrollments, once, validated line by line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from enterprise.lms.local import models as lms
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment, Price
from integrated_channels.adobe_commerce import purchases
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration, ProcessedOrderLine
from integrated_channels.adobe_commerce.purchases import import_purchases
from integrated_channels.integrated_channel.models import Run, RunError
from tests.factories import CustomerFactory, LearnerFactory, UserFactory
from tests.fakes.commerce import FakeCommerce

COURSE = "course-v1:Acme+PY+2027"


@pytest.fixture
def store():
    with FakeCommerce() as fake:
        yield fake


@pytest.fixture
def connection(db, store):
    customer = CustomerFactory(slug="acme")
    lms.Course.objects.create(course_id=COURSE, title="Python")
    lms.CourseMode.objects.create(course=lms.Course.objects.get(), mode="verified")
    Price.objects.create(
        customer=customer, content_type="course", content_id=COURSE, amount=Decimal("49.90"), currency="USD"
    )
    return AdobeCommerceConfiguration.objects.create(
        customer=customer,
        name="shop",
        active=True,
        base_url=store.url,
        consumer_key="ck",
        consumer_secret="cs-secret",
        access_token="at",
        access_token_secret="ats-secret",
    )


def order(number, email, *lines, status="complete", updated="2027-01-05 10:00:00", currency="USD"):
    return {
        "entity_id": number,
        "increment_id": f"0000{number}",
        "status": status,
        "customer_email": email,
        "order_currency_code": currency,
        "created_at": "2027-01-05 09:59:00",
        "updated_at": updated,
        "items": [{"item_id": f"{number}{i}", "sku": sku, "price": price} for i, (sku, price) in enumerate(lines)],
    }


def run_import(connection):
    return import_purchases(
        connection, trigger=Run.Trigger.ADMIN, client=CommerceClient(connection, sleep=lambda s: None)
    )


def test_orders_enroll_linked_and_pending_learners_once(connection, store):
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    store.orders = [
        order(1, "alice@acme.example", (COURSE, 49.9)),
        order(2, "newcomer@acme.example", (COURSE, 49.9)),
        order(3, "bob@acme.example", (COURSE, 49.9), status="pending"),
    ]
    run = run_import(connection)
    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED, 2, 2, 0)
    assert EnterpriseCourseEnrollment.objects.filter(learner=alice, course_id=COURSE).exists()
    assert PendingEnrollment.objects.filter(course_id=COURSE).count() == 1
    assert ProcessedOrderLine.objects.count() == 2
    # a purchase is a self-enrollment (decision 0401), also for a buyer still pending
    assert set(EnterpriseCourseEnrollment.objects.values_list("started_by", flat=True)) == {"learner"}
    assert set(PendingEnrollment.objects.values_list("started_by", flat=True)) == {"learner"}

    again = run_import(connection)  # the same orders are read again (overlap) and skipped
    assert (again.selected, again.sent, again.skipped) == (2, 0, 2)
    assert ProcessedOrderLine.objects.count() == 2
    assert EnterpriseCourseEnrollment.objects.count() == 1
    since = [c for c in store.criteria[-1] if c.endswith("[field]") and store.criteria[-1][c] == "updated_at"]
    assert since, store.criteria[-1]


def test_bad_lines_are_reported_and_nothing_enrolled_for_them(connection, store):
    store.orders = [
        order(1, "a@acme.example", (COURSE, 10.0)),  # amount does not match
        order(2, "b@acme.example", ("course-v1:Other+X+1", 49.9)),  # unknown SKU
        order(3, "c@acme.example", (COURSE, 49.9), currency="EUR"),  # other currency
        order(4, "", (COURSE, 49.9)),  # no e-mail
    ]
    run = run_import(connection)
    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 4, 0, 4)
    codes = sorted(RunError.objects.filter(run=run).values_list("code", flat=True))
    assert codes == ["amount_mismatch", "amount_mismatch", "no_email", "unknown_sku"]
    assert not EnterpriseCourseEnrollment.objects.exists() and not PendingEnrollment.objects.exists()
    assert run_import(connection).sent == 0  # refused lines are not retried either


def test_paging_stops_by_the_total_count(connection, store, monkeypatch):
    monkeypatch.setattr(purchases, "PAGE_SIZE", 100)
    store.orders = [
        order(n, f"p{n}@acme.example", (COURSE, 49.9), updated=f"2027-01-05 10:{n:02d}:00") for n in range(1, 251)
    ]
    run = run_import(connection)
    assert (run.selected, run.sent) == (250, 250)
    pages = [c["searchCriteria[currentPage]"] for c in store.criteria]
    assert pages == ["1", "2", "3", "1"]  # three pages of orders, one of credit memos
    assert PendingEnrollment.objects.count() == 250


def test_a_credit_memo_unenrolls_once(connection, store):
    alice = LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    store.orders = [order(1, "alice@acme.example", (COURSE, 49.9))]
    run_import(connection)
    enrollment = EnterpriseCourseEnrollment.objects.get(learner=alice, course_id=COURSE)
    assert enrollment.unenrolled_at is None
    store.creditmemos = [
        {
            "entity_id": 9,
            "order_id": 1,
            "updated_at": "2027-01-06 10:00:00",
            "items": [{"order_item_id": "10", "sku": COURSE}],
        }
    ]
    run = run_import(connection)
    enrollment.refresh_from_db()
    assert enrollment.unenrolled_at is not None
    assert ProcessedOrderLine.objects.get().refunded_at is not None
    assert (run.selected, run.sent, run.skipped) == (2, 1, 1)  # the order line again (skipped), the refund
    again = run_import(connection)
    assert (again.sent, again.skipped) == (0, 2)


def _count_import_queries(connection, store, buyers: int, first: int) -> int:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    second = COURSE.replace("PY", "SQL")
    store.orders = [
        order(first + n, f"buyer{first + n}@acme.example", (COURSE, 49.9), (second, 49.9)) for n in range(buyers)
    ]
    with CaptureQueriesContext(db) as queries:
        run = run_import(connection)
    assert run.sent == 2 * buyers, list(RunError.objects.values_list("message", flat=True))
    return len(queries)


def test_queries_do_not_grow_with_the_lines(connection, store, settings):
    """Every buyer linked once, one enrollment per (kind, SKU) group: the queries of a sync depend on
    its SKUs and pages, not on its lines (decision 0461)."""
    second = lms.Course.objects.create(course_id=COURSE.replace("PY", "SQL"), title="SQL")
    lms.CourseMode.objects.create(course=second, mode="verified")
    Price.objects.create(
        customer=connection.customer,
        content_type="course",
        content_id=second.course_id,
        amount=Decimal("49.90"),
        currency="USD",
    )
    LearnerFactory(customer=connection.customer, user=UserFactory(email="buyer1@acme.example"))
    LearnerFactory(customer=connection.customer, user=UserFactory(email="buyer101@acme.example"))
    UserFactory(email="buyer3@acme.example")  # accounts, not yet learners
    UserFactory(email="buyer150@acme.example")
    small = _count_import_queries(connection, store, 4, 1)
    ProcessedOrderLine.objects.all().delete()
    type(connection).objects.filter(pk=connection.pk).update(orders_synced_until=None)
    large = _count_import_queries(connection, store, 60, 101)
    assert large == small


def test_an_address_manage_learners_refuses_is_reported_not_enrolled(connection, store):
    store.orders = [order(1, "two@@acme.example", (COURSE, 49.9)), order(2, "ok@acme.example", (COURSE, 49.9))]
    run = run_import(connection)
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1, 1)
    assert list(RunError.objects.filter(run=run).values_list("code", flat=True)) == ["not_linked"]
    assert ProcessedOrderLine.objects.get(email="two@@acme.example").outcome == ProcessedOrderLine.Outcome.REFUSED
    assert PendingEnrollment.objects.count() == 1


def test_pages_are_as_large_as_a_store_with_input_limits_answers(connection, store, monkeypatch):
    store.orders = [order(n, f"p{n}@acme.example", (COURSE, 49.9)) for n in range(1, 4)]
    run = run_import(connection)
    assert run.status == Run.Status.COMPLETED
    assert store.criteria[0]["searchCriteria[pageSize]"] == "300"
    monkeypatch.setattr(purchases, "PAGE_SIZE", 301)  # over the store's maximum: refused, nothing done
    ProcessedOrderLine.objects.all().delete()
    run = run_import(connection)
    assert run.status == Run.Status.FAILED
    assert "Maximum SearchCriteria pageSize is 300" in run.error_message


def test_an_order_read_twice_in_one_sync_is_processed_once(connection, store):
    """An order updated while the pages are read moves to a later page: it comes twice."""
    first = order(1, "ann@acme.example", (COURSE, 49.9))
    store.orders = [first, order(2, "bob@acme.example", (COURSE, 49.9)), dict(first, updated_at="2027-01-05 11:00")]
    run = run_import(connection)
    assert (run.status, run.selected, run.sent, run.skipped) == (Run.Status.COMPLETED, 3, 2, 1)
    assert ProcessedOrderLine.objects.count() == 2 and PendingEnrollment.objects.count() == 2


def test_a_malformed_line_is_refused_and_recorded_escaped(connection, store):
    store.orders = [
        order(1, "ann@acme.example", (COURSE + "\n", 49.9)),  # a line break in the SKU
        order(2, "bob@acme.example", (COURSE, 49.9)),
    ]
    store.orders[1]["items"][0]["item_id"] = "9" * 65  # an id longer than the column
    store.orders.append(order(3, "cy@acme.example", (COURSE, 49.9)))
    run = run_import(connection)
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1, 2)
    assert sorted(RunError.objects.filter(run=run).values_list("code", flat=True)) == ["malformed_line"] * 2
    refused = ProcessedOrderLine.objects.filter(outcome=ProcessedOrderLine.Outcome.REFUSED).order_by("order_id")
    assert [(line.sku, len(line.item_id)) for line in refused] == [(COURSE + "\\n", 2), (COURSE, 64)]
    assert PendingEnrollment.objects.get().pending_learner.user_email == "cy@acme.example"
    assert run_import(connection).sent == 0  # recorded: not read again as new


def test_an_enrollment_the_backend_refuses_is_reported_not_recorded_as_enrolled(connection, store, monkeypatch):
    from enterprise.lms.interfaces import EnrollResult

    class Refusing:
        def enroll_many(self, requests):
            result = EnrollResult()
            for request in requests:
                result.failed[(request.user_id, request.course_id)] = "the LMS is closed"
            return result

    monkeypatch.setattr(purchases, "get_enrollment_backend", Refusing)
    LearnerFactory(customer=connection.customer, user=UserFactory(username="alice", email="alice@acme.example"))
    store.orders = [order(1, "alice@acme.example", (COURSE, 49.9)), order(2, "new@acme.example", (COURSE, 49.9))]
    run = run_import(connection)
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1, 1)
    error = RunError.objects.get(run=run)
    assert (error.code, error.email) == ("enrollment_failed", "alice@acme.example")
    assert "the LMS is closed" in error.message
    assert not EnterpriseCourseEnrollment.objects.exists()
    assert ProcessedOrderLine.objects.get(email="alice@acme.example").outcome == ProcessedOrderLine.Outcome.REFUSED
    assert PendingEnrollment.objects.count() == 1  # the pending buyer is not the backend's


def test_a_training_that_cannot_be_enrolled_in_refuses_its_lines(connection, store):
    """The SKUs are resolved to courses in one catalog read; a mode the course does not offer, or a priced
    course the catalog no longer has, refuses its lines and enrolls nothing for them."""
    gone = "course-v1:Acme+GONE+2027"
    Price.objects.create(
        customer=connection.customer, content_type="course", content_id=gone, amount=Decimal("49.90"), currency="USD"
    )
    store.orders = [order(1, "a@acme.example", (COURSE, 49.9)), order(2, "b@acme.example", (gone, 49.9))]
    type(connection).objects.filter(pk=connection.pk).update(enrollment_mode="professional")
    connection.refresh_from_db()
    run = run_import(connection)
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 0, 2)
    errors = dict(RunError.objects.filter(run=run).values_list("course_id", "message"))
    assert "professional" in errors[COURSE] and "No course" in errors[gone]
    assert set(RunError.objects.filter(run=run).values_list("code", flat=True)) == {"enrollment_target"}
    assert not PendingEnrollment.objects.exists()


def test_a_line_without_item_id_is_a_run_error_naming_its_order_and_line_never_stored(connection, store):
    store.orders = [
        order(1, "ann@acme.example", ("course-v1:Acme+Other+1", 10.0), (COURSE, 49.9)),
        order(2, "bob@acme.example", (COURSE, 49.9)),
        order(3, "cy@acme.example", (COURSE, 49.9)),
    ]
    del store.orders[0]["items"][1]["item_id"]  # the store sent the line without its id
    store.orders[2]["items"][0]["item_id"] = None  # or with a null one
    store.creditmemos = [
        {"entity_id": 9, "order_id": 3, "updated_at": "2027-01-06 10:00:00", "items": [{"sku": COURSE}]}
    ]
    run = run_import(connection)
    assert (run.status, run.selected, run.sent, run.failed, run.skipped) == (
        Run.Status.COMPLETED_WITH_ERRORS,
        4,  # three lines with an id, one without; the memo line without the order line's id refunds nothing
        1,
        3,
        0,
    )
    errors = {e.remote_id: e for e in RunError.objects.filter(run=run, code="no_item_id")}
    assert set(errors) == {"order 00001 line 2", "order 00003 line 1"}
    assert "line 2 of order 00001" in errors["order 00001 line 2"].message
    assert (errors["order 00003 line 1"].email, errors["order 00003 line 1"].course_id) == ("cy@acme.example", COURSE)
    assert sorted(ProcessedOrderLine.objects.values_list("item_id", flat=True)) == ["10", "20"]
    assert PendingEnrollment.objects.get().pending_learner.user_email == "bob@acme.example"


def test_the_database_refuses_an_order_line_without_item_id(connection):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessedOrderLine.objects.create(
            configuration=connection,
            order_id="1",
            item_id="",
            sku=COURSE,
            email="a@acme.example",
            amount=1,
            currency="USD",
            outcome=ProcessedOrderLine.Outcome.REFUSED,
        )
