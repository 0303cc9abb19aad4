"""The session admin: a session created there, learners registered by its action, the e-mail's join link;
an attendance row edited there is recorded as a manual correction."""

from decimal import Decimal

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from integrated_channels.classroom.models import Attendance, Session
from tests.factories import CustomerFactory, EnrollmentFactory, LearnerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def inline_management(prefix: str, initial: int = 0, total: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def session_form(customer, **values) -> dict:
    data = {
        "customer": str(customer.pk),
        "course_id": "course-v1:Org+ADM+2027",
        "title": "Onboarding live",
        "status": "scheduled",
        "start_0": "2027-05-04",
        "start_1": "14:00:00",
        "end_0": "2027-05-04",
        "end_1": "15:30:00",
        "time_zone": "Europe/Berlin",
        "room_kind": "dynamic",
        "join_url": "https://meet.example.com/j/42",
        "min_attendance_percent": "80",
        **inline_management("registrations"),
        **inline_management("attendances"),
    }
    data.update(values)
    return data


def test_session_created_in_the_admin_and_learners_get_the_join_link(client):
    client.force_login(StaffFactory())
    customer = CustomerFactory()
    learner = LearnerFactory(customer=customer)
    EnrollmentFactory(learner=learner, course_id="course-v1:Org+ADM+2027")
    response = client.post(reverse("admin:classroom_session_add"), session_form(customer))
    assert response.status_code == 302, response.context["adminform"].form.errors
    session = Session.objects.get()
    mail.outbox.clear()
    client.post(
        reverse("admin:classroom_session_changelist"),
        {"action": "register_learners", "_selected_action": [session.pk]},
    )
    (message,) = mail.outbox
    assert message.to == [learner.user.email]
    assert "Join: https://meet.example.com/j/42" in message.body
    event = icalendar.Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")[0]
    assert str(event["url"]) == "https://meet.example.com/j/42"
    start = event.decoded("dtstart")
    assert start == session.start and str(start.tzinfo) == "Europe/Berlin"


def test_refused_rule_is_a_form_error_not_a_500(client):
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:classroom_session_add"), session_form(CustomerFactory(), min_attendance_percent="")
    )
    assert response.status_code == 200
    assert "The completion rule needs an attendance share" in response.content.decode()
    assert not Session.objects.exists()


def test_attendance_edited_in_the_admin_is_a_manual_correction(client):
    operator = StaffFactory()
    client.force_login(operator)
    customer = CustomerFactory()
    user = LearnerFactory(customer=customer).user
    response = client.post(reverse("admin:classroom_session_add"), session_form(customer))
    session = Session.objects.get()
    row = Attendance.objects.create(session=session, user=user, minutes=Decimal(10))
    data = session_form(customer, **inline_management("attendances", initial=1, total=1))
    data.update(
        {
            "attendances-0-id": str(row.pk),
            "attendances-0-session": str(session.pk),
            "attendances-0-user": str(user.pk),
            "attendances-0-minutes": "85",
            "attendances-0-quiz_percent": "",
            "attendances-0-correction_note": "Joined by phone",
        }
    )
    response = client.post(reverse("admin:classroom_session_change", args=[session.pk]), data)
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.minutes, row.source, row.corrected_by, row.correction_note) == (
        Decimal(85),
        Attendance.Source.MANUAL,
        operator,
        "Joined by phone",
    )
