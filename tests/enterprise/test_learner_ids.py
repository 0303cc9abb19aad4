"""Issue 22 item 6: SAP user ids kept by hand — set and cleared in bulk or one at a time, checked, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enterprise.models import EnterpriseCustomerUser, LearnerFieldChange
from enterprise.services import learner_ids
from enterprise.services.learner_ids import IdStatus
from tests.factories import CustomerFactory, LearnerFactory, PendingLearnerFactory, UserFactory
from tests.integrated_channels.factories import RemoteIdentityFactory

pytestmark = pytest.mark.django_db


def sap_id(learner) -> str:
    return learner_ids.current_value(EnterpriseCustomerUser.objects.get(pk=learner.pk))


@pytest.fixture
def customer():
    return CustomerFactory(slug="acme")


def test_set_by_email_sets_clears_and_audits_each_change(customer, staff_user):
    ann = LearnerFactory(customer=customer, user__email="Ann@Example.com", attributes={"department": "D"})
    bob = LearnerFactory(customer=customer, attributes={"sap_user_id": "OLD-B"})

    result = learner_ids.set_by_email(
        customer=customer,
        entries=[(" ann@example.com ", " SAP-A "), (bob.user.email, "")],
        source=learner_ids.Source.CSV,
        changed_by=staff_user,
    )

    assert [(row.status, row.previous) for row in result.rows] == [(IdStatus.SET, ""), (IdStatus.CLEARED, "OLD-B")]
    assert result.summary == "1 SAP user id(s) were set, 1 cleared, 0 unchanged, 0 row(s) refused."
    ann.refresh_from_db()
    assert ann.attributes == {"department": "D", "sap_user_id": "SAP-A"}  # other fields kept
    assert "sap_user_id" not in EnterpriseCustomerUser.objects.get(pk=bob.pk).attributes
    audit = list(
        LearnerFieldChange.objects.order_by("pk").values_list(
            "learner_id", "old_value", "new_value", "source", "changed_by"
        )
    )
    assert audit == [(ann.pk, "", "SAP-A", "csv", staff_user.pk), (bob.pk, "OLD-B", "", "csv", staff_user.pk)]

    again = learner_ids.set_by_email(customer=customer, entries=[("ann@example.com", "SAP-A")], source="csv")
    assert again.rows[0].status == IdStatus.UNCHANGED
    assert LearnerFieldChange.objects.count() == 2  # re-uploading the same file changes nothing


def test_refused_rows_say_why_and_change_nothing(customer):
    ann = LearnerFactory(customer=customer, attributes={"sap_user_id": "TAKEN"})
    bob = LearnerFactory(customer=customer)
    carl = LearnerFactory(customer=customer)
    dora = LearnerFactory(customer=customer)
    PendingLearnerFactory(customer=customer, user_email="new@example.com")
    elsewhere = LearnerFactory(customer=CustomerFactory())

    result = learner_ids.set_by_email(
        customer=customer,
        entries=[
            (bob.user.email, "TAKEN"),  # ann keeps it
            (carl.user.email, "TWICE"),
            (dora.user.email, "TWICE"),
            (carl.user.email, "X"),  # carl again
            ("new@example.com", "P-1"),
            (elsewhere.user.email, "E-1"),
            ("not-an-address", "Z"),
            (bob.user.email.upper(), "x" * 256),
        ],
        source="csv",
        first_row=2,
    )

    assert [(row.row, row.status) for row in result.rows] == [
        (2, IdStatus.TAKEN),
        (3, IdStatus.SET),
        (4, IdStatus.DUPLICATE),
        (5, IdStatus.DUPLICATE),
        (6, IdStatus.PENDING),
        (7, IdStatus.NOT_A_LEARNER),
        (8, IdStatus.INVALID),
        (9, IdStatus.INVALID),
    ]
    messages = [row.message for row in result.rows]
    assert messages[0] == f"SAP user id 'TAKEN' is already the id of {ann.user.email}."
    assert messages[2] == f"SAP user id 'TWICE' is also given to {carl.user.email} (row 3)."
    assert messages[3] == f"{carl.user.email} is also on row 3."
    assert "pending learner (no account yet)" in messages[4]
    assert messages[5] == f"{elsewhere.user.email} is not a linked learner of this customer."
    assert (sap_id(bob), sap_id(carl), sap_id(dora)) == ("", "TWICE", "")


def test_ids_may_move_between_learners_in_one_submission(customer):
    ann = LearnerFactory(customer=customer, attributes={"sap_user_id": "S-1"})
    bob = LearnerFactory(customer=customer, attributes={"sap_user_id": "S-2"})

    result = learner_ids.set_by_email(
        customer=customer, entries=[(ann.user.email, "S-2"), (bob.user.email, "S-1")], source="api"
    )

    assert [row.status for row in result.rows] == [IdStatus.SET, IdStatus.SET]
    assert (sap_id(ann), sap_id(bob)) == ("S-2", "S-1")


def test_a_dry_run_reports_and_changes_nothing(customer):
    ann = LearnerFactory(customer=customer)

    result = learner_ids.set_by_email(customer=customer, entries=[(ann.user.email, "S")], source="csv", dry_run=True)

    assert result.rows[0].status == IdStatus.SET
    assert result.summary.startswith("1 SAP user id(s) would be set")
    assert (sap_id(ann), LearnerFieldChange.objects.count()) == ("", 0)


@pytest.mark.parametrize("size", [3, 40])
def test_queries_do_not_grow_with_the_rows(customer, size, django_assert_max_num_queries):
    learners = LearnerFactory.create_batch(size, customer=customer)
    entries = [(learner.user.email, f"SAP-{i}") for i, learner in enumerate(learners)]

    # savepoint, learners, holders, bulk update, insert of the audit, release
    with django_assert_max_num_queries(6):
        result = learner_ids.set_by_email(customer=customer, entries=entries, source="csv")

    assert result.count(IdStatus.SET) == size


def test_the_learner_admin_page_shows_edits_and_audits_the_sap_user_id(staff_client, customer):
    ann = LearnerFactory(customer=customer, attributes={"department": "D"})
    LearnerFactory(customer=customer, attributes={"sap_user_id": "TAKEN"})
    RemoteIdentityFactory(
        identity_provider__customer=customer, identity_provider__provider_id="okta", user=ann.user, remote_id="SSO-1"
    )
    change = reverse("admin:enterprise_enterprisecustomeruser_change", args=[ann.pk])

    page = staff_client.get(change)
    html = page.content.decode()
    assert 'name="sap_user_id"' in html and "SSO-1 (okta)" in html

    form = {
        "customer": customer.pk,
        "user": ann.user.pk,
        "active": "on",
        "linked": "on",
        "attributes": '{"department": "D", "sap_user_id": "sneaky"}',
        "sap_user_id": "TAKEN",
        "enrollments-TOTAL_FORMS": 0,
        "enrollments-INITIAL_FORMS": 0,
    }
    refused = staff_client.post(change, form)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["sap_user_id"] == [
        "SAP user id 'TAKEN' is already the id of "
        + EnterpriseCustomerUser.objects.exclude(pk=ann.pk).get().user.email
        + "."
    ]

    assert staff_client.post(change, {**form, "sap_user_id": "SAP-7"}).status_code == 302
    ann.refresh_from_db()
    assert ann.attributes == {"department": "D", "sap_user_id": "SAP-7"}  # the JSON's copy was ignored
    change_row = LearnerFieldChange.objects.get()
    assert (change_row.old_value, change_row.new_value, change_row.source, change_row.changed_by.username) == (
        "",
        "SAP-7",
        "admin",
        "staff",
    )
    assert "SAP-7" in staff_client.get(change).content.decode()
    assert staff_client.post(change, {**form, "sap_user_id": "SAP-7"}).status_code == 302
    assert LearnerFieldChange.objects.count() == 1


def test_users_without_an_address_are_not_matched(customer):
    LearnerFactory(customer=customer, user=UserFactory(email=""))
    result = learner_ids.set_by_email(customer=customer, entries=[("", "S")], source="csv")
    assert result.rows[0].status == IdStatus.INVALID


def test_manage_learners_sets_sap_user_ids_from_a_csv(staff_client, customer, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    ann = LearnerFactory(customer=customer, user__email="ann@example.com")
    page_url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    assert 'id="sap-user-ids-form"' in staff_client.get(page_url).content.decode()

    def upload(content: bytes, **extra):
        data = {"action": "sap_user_ids", "sap-sap_user_ids_csv": SimpleUploadedFile("ids.csv", content), **extra}
        return staff_client.post(page_url, data)

    checked = upload(b"email,sap\nann@example.com,SAP-A\nghost@example.com,G\n", **{"sap-check_only": "on"})
    html = checked.content.decode()
    assert "Checked: nothing has changed." in html
    assert "1 SAP user id(s) would be set, 0 cleared, 0 unchanged, 1 row(s) refused." in html
    assert "Line 3: ghost@example.com is not a linked learner of this customer." in html
    assert sap_id(ann) == ""

    done = upload(b"ann@example.com,SAP-A\n")
    assert "1 SAP user id(s) were set" in done.content.decode()
    assert sap_id(ann) == "SAP-A"
    assert LearnerFieldChange.objects.get().changed_by.username == "staff"

    refused = upload(b"\xff\xfe")
    assert "is not UTF-8 text" in refused.content.decode()
