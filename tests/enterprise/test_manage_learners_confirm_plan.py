"""A confirmation applies what its preview planned when the learner state has not changed since
(decision 0545): the same rows and the same writes as the full path, fewer queries; any change in
between, a plan that does not verify or a writer busy during the preview: the full path."""

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprise.exceptions import UploadExpired
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import confirm_plan, upload_store
from enterprise.services.bulk_link import RowStatus
from enterprise.services.manage_learners import confirm_upload, preview_upload
from tests.enterprise.test_manage_learners_plan_preview import _world
from tests.factories import CourseFactory, CustomerFactory, LearnerFactory, UserFactory
from tests.migrations import latest, migrate

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _preview(customer, text, **kwargs):
    return preview_upload(customer=customer, upload=ContentFile(text.encode(), name="learners.csv"), **kwargs)


def _plan_name(token, customer):
    return upload_store.stored_name(token, customer=customer) + upload_store.PLAN


def _rows(result) -> list[tuple]:
    return [(row.line, row.status, row.message) for row in result.rows]


def _state(customer) -> tuple:
    links = sorted(
        EnterpriseCustomerUser.objects.filter(customer=customer).values_list("user__username", "linked", "unlinked_at")
    )
    pending = sorted(
        PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    )
    return [(name, linked, unlinked is None) for name, linked, unlinked in links], pending


EXPECTED_STATE = (
    [
        ("ann", True, True),
        ("bob", True, True),
        ("cat", True, True),
        ("ivy", True, True),
        ("jo", True, True),
    ],
    ["fay@example.com", "hal@example.com"],
)


@pytest.mark.parametrize("chunk_size", [1, 3, 100])
@pytest.mark.parametrize("with_plan", [True, False])
def test_unchanged_state_the_plan_is_applied_with_the_full_paths_result(settings, chunk_size, with_plan):
    settings.ENTERPRISE = {**settings.ENTERPRISE, "MANAGE_LEARNERS_CHUNK_SIZE": chunk_size}
    customer, text = _world()
    token, preview = _preview(customer, text)
    assert default_storage.exists(_plan_name(token, customer))
    if not with_plan:  # the full path, for comparison
        default_storage.delete(_plan_name(token, customer))
    with CaptureQueriesContext(connection) as queries:
        done = confirm_upload(customer=customer, token=token)
    assert done.applied and done.from_plan is with_plan
    assert _rows(done) == _rows(preview)
    assert done.counts == preview.counts
    assert list(done.report_rows()) == list(preview.report_rows())
    assert _state(customer) == EXPECTED_STATE
    if with_plan:
        # the version, then per chunk of the preview at most an INSERT of links, an UPDATE of re-links
        # and an INSERT of pending rows: no look-up
        chunks = -(-14 // chunk_size)
        statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
        assert len(statements) <= 1 + 3 * chunks, statements
        assert not any("LATERAL" in sql for sql in statements)
    assert not default_storage.listdir(upload_store.DIRECTORY)[1]  # the upload and its companions deleted


def test_a_user_registered_between_the_two_requests_is_linked_by_the_full_path():
    customer, text = _world()
    token, preview = _preview(customer, text)
    assert next(row for row in preview.rows if row.line == 9).status == RowStatus.PENDING
    UserFactory(username="hal", email="hal@example.com")
    done = confirm_upload(customer=customer, token=token)
    assert not done.from_plan
    assert next(row for row in done.rows if row.line == 9).status == RowStatus.LINKED
    assert EnterpriseCustomerUser.objects.filter(customer=customer, user__username="hal", linked=True).exists()
    assert not PendingEnterpriseCustomerUser.objects.filter(user_email="hal@example.com").exists()


def test_a_learner_linked_elsewhere_between_the_two_requests_is_a_conflict():
    customer, text = _world()
    token, preview = _preview(customer, text)
    ann = next(row for row in preview.rows if row.line == 2)
    assert ann.status == RowStatus.LINKED
    other = CustomerFactory(name="Elsewhere")
    LearnerFactory(customer=other, user=get_user_model().objects.get(username="ann"))
    done = confirm_upload(customer=customer, token=token)
    assert not done.from_plan
    row = next(row for row in done.rows if row.line == 2)
    assert (row.status, row.message) == (RowStatus.CONFLICT, "Already linked to enterprise customer 'Elsewhere'.")
    assert not EnterpriseCustomerUser.objects.filter(customer=customer, user__username="ann").exists()


@pytest.mark.parametrize("damage", ["body", "header", "other upload"])
def test_a_plan_that_does_not_verify_is_not_used(damage):
    customer, text = _world()
    token, _preview_result = _preview(customer, text)
    name = _plan_name(token, customer)
    with default_storage.open(name, "rb") as file:
        header, body = file.read().split(b"\n", 1)
    if damage == "body":  # one more user to link
        body = body.replace(b"[[", b"[[999999,", 1)
    elif damage == "header":
        header = header[:-3] + (b"AAA" if not header.endswith(b"AAA") else b"BBB")
    else:  # the plan of another upload of the same customer
        other_token, _other = _preview(customer, "Email\nzed@example.com\n")
        with default_storage.open(_plan_name(other_token, customer), "rb") as file:
            header, body = file.read().split(b"\n", 1)
    default_storage.delete(name)
    default_storage.save(name, ContentFile(header + b"\n" + body))
    done = confirm_upload(customer=customer, token=token)
    assert not done.from_plan
    assert _state(customer) == EXPECTED_STATE


def test_a_tampered_or_foreign_token_is_refused():
    customer, text = _world()
    token, _preview_result = _preview(customer, text)
    with pytest.raises(UploadExpired):
        confirm_upload(customer=customer, token=token[:-2] + ("xy" if not token.endswith("xy") else "zz"))
    with pytest.raises(UploadExpired):  # per customer: another customer's administrator
        confirm_upload(customer=CustomerFactory(), token=token)
    assert not EnterpriseCustomerUser.objects.filter(customer=customer, user__username="ann").exists()


def test_an_expired_token_is_refused(settings):
    customer, text = _world()
    token, _preview_result = _preview(customer, text)
    settings.ENTERPRISE = {**settings.ENTERPRISE, "MANAGE_LEARNERS_UPLOAD_MAX_AGE": -1}
    with pytest.raises(UploadExpired):
        confirm_upload(customer=customer, token=token)


def test_a_writer_busy_during_the_preview_leaves_no_plan_and_is_not_waited_for(monkeypatch):
    monkeypatch.setattr(confirm_plan, "LOCK_PAUSE", 0)
    customer, text = _world()
    params = connection.get_connection_params()
    with psycopg.connect(**{key: value for key, value in params.items() if key != "cursor_factory"}) as other:
        other.execute(
            "INSERT INTO auth_user (username, email, password, is_superuser, first_name, last_name, "
            "is_staff, is_active, date_joined) VALUES ('busy', 'busy@example.com', '', false, '', '', "
            "false, true, now())"
        )  # not committed: the trigger's lock is held
        token, preview = _preview(customer, text)
        other.rollback()
    assert not default_storage.exists(_plan_name(token, customer))
    done = confirm_upload(customer=customer, token=token)
    assert not done.from_plan
    assert _rows(done) == _rows(preview)
    assert _state(customer) == EXPECTED_STATE


def test_an_enrollment_is_neither_planned_nor_confirmed_from_a_plan():
    CourseFactory(course_id="course-v1:Org+CS101+2027", modes=["audit"])
    customer, text = _world()
    token, _preview_result = _preview(customer, text, course_id="course-v1:Org+CS101+2027", mode="audit")
    assert not default_storage.exists(_plan_name(token, customer))
    # a plan made without one is not used by a confirmation that enrolls
    token, _preview_result = _preview(customer, text)
    assert default_storage.exists(_plan_name(token, customer))
    done = confirm_upload(customer=customer, token=token, course_id="course-v1:Org+CS101+2027", mode="audit")
    assert done.applied and not done.from_plan
    assert done.enrollment_counts


def _triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'enterprise_learner_state%%'"
        )
        return set(cursor.fetchall())


def test_the_migration_creates_the_version_and_takes_it_back():
    tables = {
        "enterprise_enterprisecustomeruser",
        "enterprise_pendingenterprisecustomeruser",
        "enterprise_enterprisecustomer",
        "auth_user",
    }
    assert _triggers() == {(name, table) for table in tables for name in confirm_plan_triggers()}
    migrate([("enterprise", "0017_customer_indexes_covered")])
    try:
        assert _triggers() == set()
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [confirm_plan.SEQUENCE])
            assert cursor.fetchone()[0] is None
    finally:
        migrate(latest())
    assert len(_triggers()) == 8
    # a statement draws the version once, whatever its number of rows; signing in does not
    version = _version()
    UserFactory.create_batch(3)
    after_users = _version()
    assert after_users > version
    get_user_model().objects.filter(username="nobody").update(last_login=None)
    assert _version() == after_users


def confirm_plan_triggers():
    return ("enterprise_learner_state", "enterprise_learner_state_truncate")


def _version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {confirm_plan.SEQUENCE}")
        return cursor.fetchone()[0]


def test_a_customers_administrator_confirms_from_the_plan_without_learning_other_customers():
    customer, text = _world()
    token, preview = _preview(customer, text, disclose_other_customers=False)
    done = confirm_upload(customer=customer, token=token, disclose_other_customers=False)
    assert done.from_plan
    assert _rows(done) == _rows(preview)
    assert not any("Other" in row.message for row in done.rows)
    assert _state(customer) == EXPECTED_STATE


def test_a_plan_made_for_another_disclosure_is_not_used():
    customer, text = _world()
    token, _preview_result = _preview(customer, text, disclose_other_customers=False)
    done = confirm_upload(customer=customer, token=token)
    assert not done.from_plan
    dan = next(row for row in done.rows if row.line == 5)
    assert (dan.status, dan.message) == (RowStatus.CONFLICT, "Already linked to enterprise customer 'Other'.")


def test_the_admin_pages_confirmation_uses_the_plan(staff_client):
    customer = CustomerFactory(name="Acme Corp")
    ann = UserFactory(email="Ann@Example.com")
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    upload = SimpleUploadedFile("learners.csv", b"email\nann@example.com\nnew@example.com\n", content_type="text/csv")
    response = staff_client.post(url, {"action": "link", "bulk_upload_csv": upload})
    assert 'id="confirm-form"' in response.content.decode()
    confirm = response.context["confirm"]
    data = {"action": "confirm", **{name: confirm[name].value() or "" for name in confirm.fields}}
    with CaptureQueriesContext(connection) as queries:
        done = staff_client.post(url, data)
    assert "Done: 1 linked, 1 pending." in done.content.decode()
    assert not any("LATERAL" in query["sql"] for query in queries)  # no look-up: the plan was applied
    assert EnterpriseCustomerUser.objects.get(user=ann).customer == customer
    assert PendingEnterpriseCustomerUser.objects.get().user_email == "new@example.com"
