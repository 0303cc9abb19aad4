"""What an enrollment e-mail says: a greeting for learners without an account, honest start dates, real links."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from enterprise.management.demo.data import EMAIL_TEMPLATES
from enterprise.models import EnrollmentNotification
from enterprise.services import notifications
from enterprise.services.notifications import names_from_address, notification_context, start_sentence
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "names"),
    [
        ("ann.lee@example.com", ("Ann Lee", "Ann")),
        ("jean-luc_picard@example.com", ("Jean-Luc Picard", "Jean-Luc")),
        ("CHLOÉ.DUBOIS@example.com", ("Chloé Dubois", "Chloé")),
        ("jsmith42@example.com", ("learner", "")),
        ("learner.0001@example.com", ("learner", "")),
        ("new@example.com", ("learner", "")),
    ],
)
def test_a_pending_learner_is_greeted_by_a_name_from_the_address_or_as_learner(email, names):
    assert names_from_address(email) == names


def test_the_context_of_a_pending_learner_never_holds_their_address():
    customer = CustomerFactory(name="Acme")
    notification = EnrollmentNotification.objects.create(
        customer=customer, user=None, email="new.hire@acme.example.com", template_type="course", target_id="c"
    )
    context = notification_context(notification)
    assert (context["user_name"], context["first_name"]) == ("New Hire", "New")
    assert "@" not in str(context["user_name"])
    user = UserFactory(username="bob", first_name="", last_name="")
    linked = EnrollmentNotification.objects.create(
        customer=customer, user=user, email=user.email, template_type="course", target_id="c"
    )
    assert notification_context(linked)["user_name"] == "bob"


def test_a_course_under_way_is_not_said_to_be_starting():
    now = timezone.now()
    past = datetime.datetime(2025, 11, 2, 9, tzinfo=datetime.UTC)
    future = now + datetime.timedelta(days=30)
    assert start_sentence(past, now=now) == "It started on November 2, 2025: you can begin now."
    assert start_sentence(future, now=now).startswith("It starts on ")
    assert start_sentence(None) == ""


def test_the_demo_templates_use_the_start_sentence_not_a_bare_starting_date():
    for template in EMAIL_TEMPLATES.values():
        for text in template.values():
            assert "starting {start_date}" not in text
        assert "{start_sentence}" in template["plaintext_template"]


def test_links_in_e_mails_use_the_site_address(settings):
    settings.ENTERPRISE = {"SITE_URL": "http://127.0.0.1:8123/"}
    assert notifications.enrollment_url("course", "course-v1:A+B+C") == (
        "http://127.0.0.1:8123/courses/course-v1:A+B+C/about"
    )
    assert notifications.enrollment_url("program", "p-1") == "http://127.0.0.1:8123/dashboard/programs/p-1/"
    settings.ENTERPRISE = {"SITE_URL": "http://x:1", "COURSE_ENROLLMENT_URL": "https://lms.example.com/c/{course_id}"}
    assert notifications.enrollment_url("course", "c") == "https://lms.example.com/c/c"  # a full URL is kept


def test_seed_demo_prints_the_admin_url_of_the_site(settings):
    settings.ENTERPRISE = {"SITE_URL": "http://127.0.0.1:8123"}
    out = StringIO()
    call_command("seed_demo", learners=2, pending=1, admin_password="pw-123456", stdout=out)
    assert "URL:      http://127.0.0.1:8123/admin/" in out.getvalue()
    assert "8000" not in out.getvalue()
