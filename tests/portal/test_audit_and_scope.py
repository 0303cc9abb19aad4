"""The audit log of portal actions, CSRF on every form, and the customer scope of every new URL."""

import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin, PendingEnterpriseCustomerUser, PortalAction
from tests.factories import (
    CourseFactory,
    EmailTemplateFactory,
    EnrollmentFactory,
    LearnerFactory,
    PendingLearnerFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
COURSE = "course-v1:Acme+SAFE101+2027"


def url(customer, name="learners", **kwargs):
    return reverse(f"enterprise_portal:{name}", kwargs={"customer_uuid": customer.uuid, **kwargs})


def rows():
    return list(
        PortalAction.objects.order_by("pk").values("username", "customer_name", "action", "counts", "status_code")
    )


# -- the audit log -----------------------------------------------------------------------------------------


def test_every_post_writes_one_row_with_its_counts(admin_client, acme, ada):
    CourseFactory(course_id=COURSE, modes=["audit"])
    learner = LearnerFactory(customer=acme, user__email="bob@example.com")
    EnrollmentFactory(learner=learner, course_id=COURSE)
    pending = PendingLearnerFactory(customer=acme)
    posts = [
        {"action": "link", "email": "new@example.com", "course_id": COURSE, "course_mode": "audit"},
        {"action": "unenroll_selected", "user_id": str(learner.user_id), "course_id": COURSE},
        {"action": "unlink", "user_id": str(learner.user_id)},
        {"action": "delete_pending", "pending_id": str(pending.pk)},
        {"action": "link", "email": "not-an-address"},
    ]
    for data in posts:
        admin_client.post(url(acme), data)
    admin_client.post(
        url(acme, "consent"), {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login"}
    )
    expected = [
        ("learners:link", {"pending": 1, "enrollment_pending_enrollment": 1}, 302),
        ("learners:unenroll_selected", {"already_linked": 1, "enrollment_unenrolled": 1}, 302),
        ("learners:unlink", {"unlinked": 1}, 302),
        ("learners:delete_pending", {"removed": 1}, 302),
        ("learners:link", {"refused": 1}, 200),
        ("consent:settings", {"changed": 2}, 302),
    ]
    assert [(r["action"], r["counts"], r["status_code"]) for r in rows()] == expected
    assert {(r["username"], r["customer_name"]) for r in rows()} == {("ada", "Acme Corp")}
    assert set(PortalAction.objects.values_list("user_id", flat=True)) == {ada.pk}


def test_a_csv_preview_and_its_confirmation_are_two_rows(admin_client, acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = SimpleUploadedFile("l.csv", b"a@example.com\nb@example.com\n", content_type="text/csv")
    response = admin_client.post(url(acme), {"action": "link", "csv_file": csv})
    token = response.context["confirm"].initial["token"]
    admin_client.post(url(acme), {"action": "confirm", "token": token, "operation": "link"})
    assert [(r["action"], r["counts"]) for r in rows()] == [
        ("learners:link_preview", {"pending": 2}),
        ("learners:confirm_link", {"pending": 2}),
    ]


def test_refused_posts_are_recorded_without_the_other_customer(admin_client, acme, globex):
    admin_client.post(url(globex), {"action": "link", "email": "x@example.com"})
    admin_client.post(url(acme), {"action": "no-such-action"})
    admin_client.post(url(acme), {"action": "DROP TABLE"})
    assert [(r["action"], r["customer_name"], r["status_code"]) for r in rows()] == [
        ("learners:link", "", 404),
        ("learners", "Acme Corp", 404),  # an action not shaped like one is not copied
        ("learners", "Acme Corp", 404),
    ]
    assert PortalAction.objects.filter(customer__isnull=True).count() == 1


def test_a_user_who_administers_nothing_is_recorded_anonymous_posts_are_not(client, acme):
    client.post(url(acme), {"action": "link", "email": "x@example.com"})
    assert not PortalAction.objects.exists()
    client.force_login(UserFactory(username="mallory"))
    assert client.post(url(acme), {"action": "link", "email": "x@example.com"}).status_code == 403
    assert [(r["username"], r["customer_name"], r["status_code"]) for r in rows()] == [("mallory", "", 403)]


def test_gets_write_nothing(admin_client, acme):
    admin_client.get(url(acme))
    admin_client.get(url(acme, "consent"))
    assert not PortalAction.objects.exists()


def test_the_log_outlives_its_user_and_customer(admin_client, acme, ada):
    admin_client.post(url(acme), {"action": "link", "email": "x@example.com"})
    ada.delete()
    acme.delete()
    row = PortalAction.objects.get()
    assert (row.user, row.customer, row.username, row.customer_name) == (None, None, "ada", "Acme Corp")


def test_the_database_refuses_a_row_without_action_or_with_a_wrong_status():
    from django.db import IntegrityError, transaction

    for fields in ({"action": "", "status_code": 200}, {"action": "x", "status_code": 42}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PortalAction.objects.create(username="u", path="/", **fields)


def test_platform_staff_read_the_log_in_the_admin_and_cannot_change_it(admin_client, acme):
    admin_client.post(url(acme), {"action": "link", "email": "x@example.com"})
    row = PortalAction.objects.get()
    staff = UserFactory(username="olga", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_portalaction"))
    client = Client()
    client.force_login(staff)
    changelist = client.get(reverse("admin:enterprise_portalaction_changelist"))
    assert changelist.status_code == 200 and "learners:link" in changelist.content.decode()
    assert client.get(reverse("admin:enterprise_portalaction_change", args=[row.pk])).status_code == 200
    superuser = Client()
    superuser.force_login(StaffFactory())
    assert superuser.get(reverse("admin:enterprise_portalaction_add")).status_code == 403
    assert (
        superuser.post(reverse("admin:enterprise_portalaction_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )
    superuser.post(reverse("admin:enterprise_portalaction_change", args=[row.pk]), {"action": "changed"})
    assert PortalAction.objects.get().action == "learners:link"
    bare = Client()
    bare.force_login(UserFactory(username="bare", is_staff=True))
    assert bare.get(reverse("admin:enterprise_portalaction_changelist")).status_code == 403


# -- CSRF ---------------------------------------------------------------------------------------------------


def test_every_post_form_of_the_new_pages_carries_the_csrf_token(admin_client, acme):
    LearnerFactory(customer=acme)
    PendingLearnerFactory(customer=acme)
    for page in (url(acme), url(acme, "consent")):
        html = admin_client.get(page).content.decode()
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert len(forms) >= 2, page
        for body in forms:
            assert 'name="csrfmiddlewaretoken"' in body, (page, body[:200])


def test_every_new_action_is_refused_without_the_csrf_token(acme, ada):
    CourseFactory(course_id=COURSE, modes=["audit"])
    learner = LearnerFactory(customer=acme)
    EnrollmentFactory(learner=learner, course_id=COURSE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    posts = [
        (url(acme), {"action": "link", "email": "x@example.com", "course_id": COURSE, "course_mode": "audit"}),
        (url(acme), {"action": "unenroll", "email": learner.user.email, "course_id": COURSE}),
        (url(acme), {"action": "unenroll_selected", "user_id": str(learner.user_id), "course_id": COURSE}),
        (url(acme), {"action": "confirm", "token": "x", "operation": "unenroll", "course_id": COURSE}),
        (url(acme, "consent"), {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 403, data
    acme.refresh_from_db()
    assert not acme.enable_data_sharing_consent
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert learner.enrollments.get().unenrolled_at is None
    # with the token (as the pages send it) the same client gets through
    client.get(url(acme))
    token = client.cookies["csrftoken"].value
    response = client.post(
        url(acme, "consent"),
        {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


# -- another customer's administrator: 404 on every new URL ---------------------------------------------------


def test_a_second_customers_administrator_gets_404_on_every_new_url(acme, globex):
    CourseFactory(course_id=COURSE, modes=["audit"])
    EmailTemplateFactory(customer=acme, subject_line="Acme secret subject")
    learner = LearnerFactory(customer=acme, user__email="bob@acme.test")
    EnrollmentFactory(learner=learner, course_id=COURSE)
    gus = UserFactory(username="gus")
    EnterpriseCustomerAdmin.objects.create(customer=globex, user=gus)
    client = Client()
    client.force_login(gus)
    gets = [
        url(acme, "catalog_search") + "?q=safe&kind=course",
        url(acme, "course_modes") + f"?course_id={COURSE}",
        url(acme, "email_preview", template_type="course"),
        url(acme, "email_preview", template_type="program"),
        url(acme, "consent"),
        url(acme, "consent") + "?email=bob@acme.test",
        url(acme, "learners_report") + "?token=x",
    ]
    for target in gets:
        response = client.get(target)
        assert response.status_code == 404, target
        assert b"Acme" not in response.content and b"bob@acme.test" not in response.content
    posts = [
        (url(acme), {"action": "link", "email": "x@example.com", "course_id": COURSE, "course_mode": "audit"}),
        (url(acme), {"action": "unenroll", "email": "bob@acme.test", "course_id": COURSE}),
        (url(acme), {"action": "unenroll_selected", "user_id": str(learner.user_id), "course_id": COURSE}),
        (url(acme), {"action": "confirm", "token": "x", "operation": "unenroll", "course_id": COURSE}),
        (url(acme, "consent"), {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 404, data
    acme.refresh_from_db()
    assert not acme.enable_data_sharing_consent
    assert learner.enrollments.get().unenrolled_at is None
    assert not PendingEnterpriseCustomerUser.objects.exists()
    # and a customer that does not exist answers the same
    assert client.get(reverse("enterprise_portal:consent", kwargs={"customer_uuid": uuid.uuid4()})).status_code == 404
    # their own pages work
    assert client.get(url(globex, "consent")).status_code == 200
    assert client.get(url(globex, "catalog_search") + "?q=safe&kind=course").status_code == 200
