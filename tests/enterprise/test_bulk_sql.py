"""Set-based SQL helpers: one array parameter for many values, one INSERT for many rows."""

import pytest
from django.db import IntegrityError, connection
from django.db.models import F
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf, insert_varying, text_lines
from enterprise.services.user_lookup import users_by_email
from tests.factories import CustomerFactory, LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_any_of_matches_integers_and_strings_with_one_parameter():
    learners = [LearnerFactory() for _ in range(3)]
    wanted = [learners[0].user_id, learners[2].user_id, 999_999]
    with CaptureQueriesContext(connection) as queries:
        found = set(EnterpriseCustomerUser.objects.filter(AnyOf(F("user_id"), wanted)).values_list("pk", flat=True))
    assert found == {learners[0].pk, learners[2].pk}
    assert queries[0]["sql"].count("999999") <= 1  # not one placeholder per value
    PendingLearnerFactory(user_email="ann@example.com")
    assert PendingEnterpriseCustomerUser.objects.filter(
        AnyOf(Lower("user_email"), ["ann@example.com", "nobody@example.com"])
    ).exists()


def test_any_of_an_empty_list_matches_nothing_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert list(EnterpriseCustomerUser.objects.filter(AnyOf(F("user_id"), []))) == []


def test_insert_varying_returns_the_new_ids_and_fills_defaults():
    customer = CustomerFactory()
    users = [UserFactory() for _ in range(3)]
    ids = insert_varying(
        EnterpriseCustomerUser, field="user", values=[u.pk for u in users], constants={"customer_id": customer.pk}
    )
    assert set(ids) == {u.pk for u in users}
    for user in users:
        learner = EnterpriseCustomerUser.objects.get(pk=ids[user.pk])
        assert (learner.user, learner.customer, learner.linked, learner.active, learner.attributes) == (
            user,
            customer,
            True,
            True,
            {},
        )


def test_insert_varying_keeps_the_constraints():
    customer = CustomerFactory()
    PendingLearnerFactory(user_email="ann@example.com")
    with pytest.raises(IntegrityError):
        insert_varying(
            PendingEnterpriseCustomerUser,
            field="user_email",
            values=["bob@example.com", "ann@example.com"],
            constants={"customer_id": customer.pk},
        )


def test_text_values_travel_joined_by_line_breaks_so_they_may_not_hold_one():
    assert text_lines(["a@example.com", "b@example.com"]) == "a@example.com\nb@example.com"
    with pytest.raises(ValueError, match="line breaks"):
        text_lines(["a@example.com\rb@example.com"])


def test_users_by_email_one_query_case_insensitive_and_ambiguity(django_assert_num_queries):
    ann = UserFactory(email="Ann@Example.com")
    bob1, bob2 = UserFactory(email="bob@example.com"), UserFactory(email="BOB@example.com")
    UserFactory(email="carol@example.com")
    with django_assert_num_queries(1):
        found = users_by_email(["ann@example.com", "bob@example.com", "dave@example.com"])
    assert found == {"ann@example.com": ann.pk, "bob@example.com": (bob1.pk, bob2.pk)}


def test_insert_varying_gives_each_row_the_json_of_its_value_or_the_default():
    customer = CustomerFactory()
    ann, bob = UserFactory(), UserFactory()
    ids = insert_varying(
        EnterpriseCustomerUser,
        field="user",
        values=[ann.pk, bob.pk],
        constants={"customer_id": customer.pk},
        by_value={"attributes": {ann.pk: {"department": "Sales", "note": 'quote " and \\ backslash'}}},
    )
    assert EnterpriseCustomerUser.objects.get(pk=ids[ann.pk]).attributes == {
        "department": "Sales",
        "note": 'quote " and \\ backslash',
    }
    assert EnterpriseCustomerUser.objects.get(pk=ids[bob.pk]).attributes == {}


def test_values_table_reads_back_every_row_with_a_fixed_number_of_parameters():
    import datetime
    from decimal import Decimal

    from enterprise.services.bulk_sql import values_table

    at = datetime.datetime(2027, 1, 4, 10, 30, tzinfo=datetime.UTC)
    rows = [(1, Decimal("12.50"), at, "ann@example.com"), (2, None, None, "o'hara@example.com")] * 500
    columns = [("id", "bigint"), ("score", "numeric"), ("at", "timestamptz"), ("email", "text")]
    source, params = values_table(connection, columns, rows)
    assert len(params) == (4 if connection.vendor == "postgresql" else 1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v.id, v.score, v.at, v.email FROM {source}", params)
        read = cursor.fetchall()
    assert len(read) == 1000
    first, second = read[0], read[1]
    assert (first[0], Decimal(str(first[1])), first[3]) == (1, Decimal("12.5"), "ann@example.com")
    assert second[1:3] == (None, None) and second[3] == "o'hara@example.com"
    if connection.vendor == "postgresql":
        assert first[2] == at


def test_values_table_refuses_what_it_cannot_carry():
    import datetime

    from enterprise.services.bulk_sql import values_table

    if connection.vendor != "postgresql":
        pytest.skip("the array literals are PostgreSQL's")
    with pytest.raises(ValueError, match="naive"):
        values_table(connection, [("at", "timestamptz")], [(datetime.datetime(2027, 1, 4),)])
    with pytest.raises(ValueError, match="line breaks"):
        values_table(connection, [("email", "text")], [("a@example.com\nb@example.com",)])


def test_insert_select_gives_optional_text_and_file_fields_an_empty_value_and_refuses_a_required_one():
    """A field added later (blank text or file, no default) needs no change at every set-based insert."""
    from enterprise.lms.local.models import Course
    from enterprise.services.bulk_sql import insert_select

    selected = {"course_id": "key", "title": "name"}
    sql, params = insert_select(Course, selected=selected, source="stage", constants={})
    columns = sql.split("(", 1)[1].split(")", 1)[0].replace('"', "").replace("`", "").split(", ")
    assert {"language", "image", "description"} <= set(columns)
    assert params.count("") >= 3
    with pytest.raises(ValueError, match=r"Course\.title needs a value"):
        insert_select(Course, selected={"course_id": "key"}, source="stage", constants={})


def test_values_table_carries_a_single_empty_text():
    """``string_to_array('', …)`` is an empty array: a one-row table with an empty text keeps its row."""
    from enterprise.services.bulk_sql import values_table

    source, params = values_table(connection, [("id", "bigint"), ("note", "text")], [(7, "")])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v.id, v.note FROM {source}", params)
        assert cursor.fetchall() == [(7, "")]


def test_insert_rows_inserts_like_bulk_create_in_one_statement_and_skips_conflicts():
    import datetime
    from decimal import Decimal

    from enterprise.models import EnterpriseCourseEnrollment
    from enterprise.services.bulk_sql import insert_rows

    learners = [LearnerFactory() for _ in range(3)]
    at = datetime.datetime(2027, 1, 4, 10, 30, tzinfo=datetime.UTC)
    columns = ["learner_id", "course_id", "paid_amount", "paid_currency", "purchased_at"]
    rows = [(learner.pk, "course-v1:A+B+C", Decimal("49.90"), "USD", at) for learner in learners]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(
            EnterpriseCourseEnrollment,
            columns=columns,
            rows=rows,
            constants={"mode": "verified", "source": "import", "started_by": "learner"},
            conflict="ON CONFLICT DO NOTHING",
        )
    assert len(queries) == 1  # one statement whatever the rows (no model instance, no parameter per value)
    made = EnterpriseCourseEnrollment.objects.order_by("learner_id")
    assert [(e.learner_id, e.mode, e.source, e.started_by, e.role, e.program_id) for e in made] == [
        (learner.pk, "verified", "import", "learner", "", "") for learner in learners
    ]
    first = made[0]
    assert (first.paid_amount, first.paid_currency, first.purchased_at) == (Decimal("49.900"), "USD", at)
    assert first.created is not None and first.modified is not None and first.unenrolled_at is None
    # a conflicting row is skipped with ON CONFLICT DO NOTHING, refused without it
    insert_rows(
        EnterpriseCourseEnrollment,
        columns=columns,
        rows=rows[:1],
        constants={"mode": "audit", "source": "import", "started_by": "learner"},
        conflict="ON CONFLICT DO NOTHING",
    )
    assert EnterpriseCourseEnrollment.objects.get(pk=first.pk).mode == "verified"
    with pytest.raises(IntegrityError):
        insert_rows(
            EnterpriseCourseEnrollment,
            columns=columns,
            rows=rows[:1],
            constants={"mode": "audit", "source": "import", "started_by": "learner"},
        )


def test_insert_rows_refuses_a_column_it_cannot_carry():
    from enterprise.models import EnterpriseCustomerUser
    from enterprise.services.bulk_sql import insert_rows

    with pytest.raises(ValueError, match="cannot carry"):
        insert_rows(EnterpriseCustomerUser, columns=["attributes"], rows=[({},)], constants={})


def test_insert_rows_takes_none_beside_values_in_a_column():
    import datetime
    from decimal import Decimal

    from enterprise.models import PendingEnrollment
    from enterprise.services.bulk_sql import insert_rows

    pending = PendingLearnerFactory(user_email="ann@example.com")
    at = datetime.datetime(2027, 1, 4, tzinfo=datetime.UTC)
    insert_rows(
        PendingEnrollment,
        columns=["paid_amount", "paid_currency", "purchased_at", "pending_learner_id", "course_id"],
        rows=[
            (None, "", None, pending.pk, "course-v1:A+B+2"),
            (Decimal("5"), "USD", at, pending.pk, "course-v1:A+B+1"),
        ],
        constants={"mode": "audit"},
    )
    assert list(PendingEnrollment.objects.order_by("pk").values_list("course_id", "paid_amount", "purchased_at")) == [
        ("course-v1:A+B+1", Decimal("5"), at),  # the rows with a value first, then those with None
        ("course-v1:A+B+2", None, None),
    ]


def test_any_of_a_single_empty_text_matches_it():
    from enterprise.models import EnterpriseCourseEnrollment
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(program_id="")
    assert EnterpriseCourseEnrollment.objects.filter(AnyOf(F("program_id"), [""])).count() == 1
    assert EnterpriseCourseEnrollment.objects.filter(AnyOf(F("program_id"), ["", "p"])).count() == 1
