import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.models import DataSharingConsent, DataSharingConsentHistory
from enterprise.lms.local import models as lms
from enterprise.management.demo.plans import plan_learner, plan_pending
from enterprise.models import (
    EnrollmentNotificationEmailTemplate,
    EnterpriseCourseEnrollment,
    EnterpriseCustomer,
    EnterpriseCustomerUser,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)

pytestmark = pytest.mark.django_db

ADMIN_PASSWORD = "demo-admin-pass-1"


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **{"learners": 50, "pending": 10, **options})
    return out.getvalue()


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def seeded():
    return seed(admin_password=ADMIN_PASSWORD)


def test_running_twice_leaves_the_same_row_counts_and_the_admin_can_log_in(client):
    seed(admin_password=ADMIN_PASSWORD)
    first = row_counts()
    output = seed(admin_password=ADMIN_PASSWORD)
    assert row_counts() == first
    assert "(+0)" in output and "(+1)" not in output

    assert first["enterprise.EnterpriseCustomer"] == 3
    assert first["enterprise.EnterpriseCustomerIdentityProvider"] == 3
    assert first["enterprise.EnterpriseCustomerUser"] == 50
    assert first["enterprise.PendingEnterpriseCustomerUser"] == 10
    assert first["lms_local.Course"] == 10
    assert first["lms_local.CourseSkill"] == 17
    assert first["lms_local.Program"] == 2
    assert first[get_user_model()._meta.label] == 52  # the learners, the admin and Acme's administrator

    assert client.login(username="admin", password=ADMIN_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_output_names_the_admin_url_and_credentials(seeded):
    assert "http://127.0.0.1:8000/admin/" in seeded
    assert "Username: admin" in seeded
    assert f"Password: {ADMIN_PASSWORD}" in seeded


def test_acmes_administrator_signs_in_to_the_portal_and_sees_only_acme(seeded, client):
    assert "http://127.0.0.1:8000/portal/" in seeded
    assert "Username: acme-admin" in seeded
    user = get_user_model().objects.get(username="acme-admin")
    assert not user.is_staff
    assert client.login(username="acme-admin", password=ADMIN_PASSWORD)
    acme = EnterpriseCustomer.objects.get(slug="acme")
    page = client.get("/portal/", follow=True)
    assert page.redirect_chain[-1][0] == f"/portal/{acme.uuid}/learners/"
    linked = page.context["linked"]
    assert linked.total == EnterpriseCustomerUser.objects.filter(customer=acme, linked=True).count() > 0
    globex = EnterpriseCustomer.objects.get(slug="globex")
    assert client.get(f"/portal/{globex.uuid}/learners/").status_code == 404
    assert client.get("/admin/").status_code == 302  # not staff: the admin is not theirs


def test_admin_password_is_new_on_every_run_unless_given(client):
    first = re.search(r"Password: (\S+)", seed()).group(1)
    second = re.search(r"Password: (\S+)", seed()).group(1)
    assert first != second
    assert not client.login(username="admin", password=first)
    assert client.login(username="admin", password=second)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.is_active


def test_more_learners_later_adds_only_the_new_ones():
    seed(learners=20, pending=5, admin_password=ADMIN_PASSWORD)
    enrollments_of_first_20 = set(
        EnterpriseCourseEnrollment.objects.values_list("learner__user__username", "course_id")
    )
    seed(learners=60, pending=5, admin_password=ADMIN_PASSWORD)
    assert EnterpriseCustomerUser.objects.count() == 60
    first_20 = {f"demo-learner-{n:05d}" for n in range(1, 21)}
    again = set(
        EnterpriseCourseEnrollment.objects.filter(learner__user__username__in=first_20).values_list(
            "learner__user__username", "course_id"
        )
    )
    assert again == enrollments_of_first_20


def test_learners_are_spread_over_the_customers(seeded):
    per_customer = dict(EnterpriseCustomerUser.objects.values_list("customer__slug").annotate(n=Count("pk")))
    assert set(per_customer) == {"acme", "globex", "initech"}
    assert all(n > 0 for n in per_customer.values())
    assert EnterpriseCustomer.objects.filter(enable_data_sharing_consent=True).count() == 1
    assert all(c.identity_providers.count() == 1 for c in EnterpriseCustomer.objects.all())


def test_pending_learners_keep_their_own_emails(seeded):
    user_emails = set(get_user_model().objects.values_list("email", flat=True))
    pending_emails = set(PendingEnterpriseCustomerUser.objects.values_list("user_email", flat=True))
    assert len(pending_emails) == 10
    assert not user_emails & pending_emails
    assert PendingEnrollment.objects.filter(pending_learner__user_email__in=pending_emails).exists()


def test_every_enterprise_enrollment_has_the_matching_lms_enrollment(seeded):
    enterprise = set(EnterpriseCourseEnrollment.objects.values_list("learner__user_id", "course_id", "mode"))
    local = set(lms.LmsEnrollment.objects.values_list("user_id", "course__course_id", "mode"))
    assert enterprise
    assert enterprise == local


def test_catalog_mixes_pacing_dates_and_modes(seeded):
    courses = list(lms.Course.objects.all())
    assert {c.pacing for c in courses} == {"instructor", "self"}
    assert any(c.end is not None and c.end < timezone.now() for c in courses)
    assert any(c.end is None for c in courses)
    modes = set(lms.CourseMode.objects.values_list("mode", flat=True))
    assert {"audit", "verified"} <= modes
    for program in lms.Program.objects.all():
        positions = list(program.program_courses.values_list("position", flat=True))
        assert positions == sorted(positions) and len(positions) == 4


def test_some_learners_passed_and_some_did_not(seeded):
    assert lms.Certificate.objects.exists()
    assert lms.Grade.objects.filter(passed_at__isnull=False).exists()
    assert lms.Grade.objects.filter(passed_at__isnull=True).exists()
    assert not lms.Certificate.objects.filter(course__pacing="self").exists()


def test_consent_only_for_the_customer_that_enables_it_with_history(seeded):
    consents = DataSharingConsent.objects.all()
    assert consents.exists()
    assert set(consents.values_list("customer__enable_data_sharing_consent", flat=True)) == {True}
    assert DataSharingConsentHistory.objects.count() == consents.count()
    seed(admin_password=ADMIN_PASSWORD)
    assert DataSharingConsentHistory.objects.count() == consents.count()


def test_default_email_templates_are_valid(seeded):
    defaults = EnrollmentNotificationEmailTemplate.objects.filter(customer__isnull=True)
    assert set(defaults.values_list("template_type", flat=True)) == {"course", "program"}
    for template in EnrollmentNotificationEmailTemplate.objects.all():
        template.full_clean()


def test_demo_is_deterministic():
    today = timezone.now()
    assert plan_learner(7, today) == plan_learner(7, today)
    assert plan_learner(7, today).email.startswith("learner.00007@")
    assert plan_pending(7).email.startswith("invitee.00007@")


def test_queries_grow_with_batches_not_with_rows(django_assert_max_num_queries):
    seed(learners=20, pending=5, admin_password=ADMIN_PASSWORD)
    with CaptureQueriesContext(connection) as nothing_new:
        seed(learners=20, pending=5, admin_password=ADMIN_PASSWORD)
    # 400 more learners and 100 more pending learners are thousands of rows; bulk inserts split
    # only at the database's parameter limit (999 on SQLite).
    with django_assert_max_num_queries(len(nothing_new) + 80):
        seed(learners=420, pending=105, admin_password=ADMIN_PASSWORD)
    assert EnterpriseCustomerUser.objects.count() == 420


def test_negative_numbers_are_refused():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--learners=-1")


def test_enrollments_belong_to_learners_of_the_same_customer(seeded):
    assert not EnterpriseCourseEnrollment.objects.exclude(learner__linked=True).exists()
    assert not DataSharingConsent.objects.exclude(customer=F("user__enterprise_links__customer")).exists()
