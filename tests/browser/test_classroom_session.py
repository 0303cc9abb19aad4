"""End to end in a real browser: an operator creates a virtual-classroom session in the admin, registers the
course's enrolled learners, and each learner's e-mail carries the join link and an iCalendar invitation."""

import datetime
import re
import zoneinfo

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from integrated_channels.classroom.models import Registration, Session
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOIN_URL = "https://meet.example.com/j/86753091?pwd=Zx8"
COURSE_ID = "course-v1:Acme+LiveOnboarding+2027"


@pytest.fixture
def data():
    StaffFactory(username="operator")  # password "password"
    customer = CustomerFactory(name="Acme Corporation", slug="acme")
    CourseFactory(course_id=COURSE_ID, title="Live onboarding")
    enrolled = [
        EnrollmentFactory(
            learner=LearnerFactory(customer=customer, user__email=f"{name}@acme.example"), course_id=COURSE_ID
        )
        for name in ("ann", "bob")
    ]
    EnrollmentFactory(learner=LearnerFactory(customer=customer), course_id="course-v1:Acme+Other+2027")
    EnrollmentFactory(learner=LearnerFactory(customer__name="Globex"), course_id=COURSE_ID)  # another customer's
    mail.outbox.clear()
    return customer, sorted(e.learner.user.email for e in enrolled)


def test_create_a_session_register_the_enrolled_learners_and_mail_the_invitation(
    live_server, open_browser, data, artifacts_dir
):
    customer, emails = data
    with open_browser() as page:
        page.goto(live_server.url + reverse("admin:login"))
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")

        page.goto(live_server.url + reverse("admin:classroom_session_add"))
        page.fill("#id_customer", str(customer.pk))
        page.fill("#id_course_id", COURSE_ID)
        page.fill("#id_title", "Live onboarding, cohort 1")
        page.fill("#id_start_0", "2027-05-03")
        page.fill("#id_start_1", "07:00:00")
        page.fill("#id_end_0", "2027-05-03")
        page.fill("#id_end_1", "08:30:00")
        page.fill("#id_time_zone", "Europe/Paris")
        page.fill("#id_join_url", JOIN_URL)
        page.fill("#id_min_attendance_percent", "75")
        page.screenshot(path=str(artifacts_dir / "classroom-session-add.png"), full_page=True)
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success, .errornote")
        assert not page.locator(".errornote").count(), page.locator(".errorlist").all_inner_texts()
        assert "was added successfully" in page.locator(".messagelist").inner_text()

        # The change list: select the session, run "Register the learners enrolled in the course".
        row = page.locator("#result_list tbody tr", has_text="Live onboarding, cohort 1")
        row.locator("input.action-select").check()
        page.select_option("select[name=action]", "register_learners")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist li:has-text('registered')")
        message = page.locator(".messagelist").inner_text()
        page.screenshot(path=str(artifacts_dir / "classroom-session-registered.png"), full_page=True)
    assert re.search(r"Live onboarding, cohort 1 .*: 2 registered, 0 waitlisted\.", message), message

    session = Session.objects.get()
    assert session.start == datetime.datetime(2027, 5, 3, 7, 0, tzinfo=datetime.UTC)  # the admin's zone: UTC
    assert sorted(session.registrations.values_list("user__email", flat=True)) == emails
    assert set(session.registrations.values_list("status", flat=True)) == {Registration.Status.REGISTERED}

    assert sorted(m.to[0] for m in mail.outbox) == emails
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    for message in mail.outbox:
        assert f"Join: {JOIN_URL}" in message.body
        assert "2027-05-03 09:00-10:30 (Europe/Paris)" in message.subject
        (attachment,) = [a for a in message.attachments if a[2].startswith("text/calendar")]
        assert "method=REQUEST" in attachment[2]
        calendar = icalendar.Calendar.from_ical(attachment[1])
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{session.uuid}@enterprise-learners"
        assert str(event["URL"]) == JOIN_URL and str(event["SUMMARY"]) == "Live onboarding, cohort 1"
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (start, end) == (session.start, session.end)
        assert start.astimezone(paris).hour == 9 and str(event["DTSTART"].params["TZID"]) == "Europe/Paris"
        assert str(event["ATTENDEE"]) == f"mailto:{message.to[0]}"
        assert int(event["SEQUENCE"]) == 0
