"""The sessions API: a customer's virtual-classroom sessions, registrations, attendance and its correction.

Isolation (another customer's administrator and learners get 404, another customer's connection is
refused like a missing one), bad input naming the field, the services the admin uses (invitations
with .ics, the waitlist, cancellation, completions), and a query budget that does not grow with rows.
"""

import datetime
from decimal import Decimal

import icalendar
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from enterprise.lms.local.models import Certificate
from integrated_channels.classroom.models import Attendance, Registration, Session, TeamsConnection
from integrated_channels.classroom.services.attendance import Participant, record_provider_attendance
from tests.api.conftest import client_for
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory, UserFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory
from tests.reliability.walk import database_state

pytestmark = pytest.mark.django_db
COURSE = "course-v1:Org+API1+2027"
START = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)


def url(customer, tail=""):
    return f"/classroom/api/v1/customers/{customer.uuid}/sessions/{tail}"


def teams_connection(customer, name="default"):
    return TeamsConnection.objects.create(
        customer=customer,
        name=name,
        tenant_id="11111111-2222-3333-4444-555555555555",
        client_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        client_secret="s3cret-value",
        organizer_id="99999999-8888-4777-8666-555555555555",
    )


def body(**values):
    data = {
        "course_id": COURSE,
        "title": "Onboarding live",
        "start": START.isoformat(),
        "end": (START + datetime.timedelta(hours=2)).isoformat(),
        "time_zone": "Europe/Paris",
        "capacity": 2,
        "min_attendance_percent": "75",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not ...}


def make_session(customer, **values):
    defaults = {
        "course_id": COURSE,
        "title": "Existing",
        "start": START,
        "end": START + datetime.timedelta(hours=1),
        "min_attendance_percent": Decimal(50),
    }
    return Session.objects.create(customer=customer, **{**defaults, **values})


def enroll(customer, n):
    return [
        EnrollmentFactory(learner=LearnerFactory(customer=customer), course_id=COURSE).learner.user for _ in range(n)
    ]


def test_create_registers_the_enrolled_learners_with_a_waitlist_and_sends_the_invitation(api_admin, customer):
    connection = teams_connection(customer)
    users = enroll(customer, 3)
    mail.outbox.clear()

    response = api_admin.post(url(customer), body(connection=connection.pk), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["channel"], data["registered"], data["waitlisted"], data["status"]) == ("TEAMS", 2, 1, "scheduled")
    assert data["start"] == START.isoformat().replace("+00:00", "Z")
    assert len(mail.outbox) == 2
    (attachment,) = [a for a in mail.outbox[0].attachments if a[2].startswith("text/calendar")]
    event = icalendar.Calendar.from_ical(attachment[1]).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(data["uuid"])
    registrations = api_admin.get(url(customer, f"{data['id']}/registrations/")).json()["results"]
    assert [(r["email"], r["status"], r["invited"]) for r in registrations] == [
        (users[0].email, "registered", True),
        (users[1].email, "registered", True),
        (users[2].email, "waitlisted", False),
    ]


def test_update_re_invites_and_a_grown_capacity_seats_the_waitlist(api_admin, customer):
    session = make_session(customer, capacity=1)
    enroll(customer, 2)
    api_admin.patch(url(customer, f"{session.pk}/"), {"title": "Kick-off (moved)"}, format="json")  # registers none
    from integrated_channels.classroom.services.registration import register_enrolled_learners

    register_enrolled_learners(session=session)
    mail.outbox.clear()
    moved = api_admin.patch(
        url(customer, f"{session.pk}/"),
        {
            "start": (START + datetime.timedelta(hours=1)).isoformat(),
            "end": (START + datetime.timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert [m.subject.startswith("Updated: ") for m in mail.outbox] == [True]
    mail.outbox.clear()
    grown = api_admin.patch(url(customer, f"{session.pk}/"), {"capacity": 5}, format="json")
    assert (grown.json()["registered"], grown.json()["waitlisted"]) == (2, 0)
    assert len(mail.outbox) == 1  # the learner who waited gets the invitation


def test_cancel_tells_the_learners_and_then_the_session_is_closed(api_admin, customer):
    session = make_session(customer)
    enroll(customer, 2)
    from integrated_channels.classroom.services.registration import register_enrolled_learners

    register_enrolled_learners(session=session)
    mail.outbox.clear()
    response = api_admin.post(url(customer, f"{session.pk}/cancel/"), format="json")
    assert response.json() == {"status": "cancelled", "told": 2}
    assert len(mail.outbox) == 2
    assert all("METHOD:CANCEL" in str(m.attachments[0][1]) for m in mail.outbox)
    again = api_admin.post(url(customer, f"{session.pk}/cancel/"), format="json")
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "session_not_open")
    changed = api_admin.patch(url(customer, f"{session.pk}/"), {"title": "Back"}, format="json")
    assert changed.status_code == 409
    assert api_admin.get(url(customer) + "?status=cancelled").json()["results"][0]["id"] == session.pk


@pytest.mark.parametrize(
    ("values", "field", "needle"),
    [
        ({"end": START.isoformat()}, "end", "end after it starts"),
        ({"min_attendance_percent": None}, "min_attendance_percent", "completion rule"),
        ({"min_attendance_percent": "101"}, "min_attendance_percent", "less than or equal to 100"),
        ({"min_quiz_percent": "-1"}, "min_quiz_percent", "greater than or equal to 0"),
        ({"capacity": 0}, "capacity", "greater than or equal to 1"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "IANA"),
        ({"room_kind": "persistent"}, "room_id", "persistent room"),
        ({"room_kind": "hybrid"}, "room_kind", "not a valid choice"),
        ({"course_id": "  "}, "course_id", ""),
        ({"start": "tomorrow"}, "start", "Datetime has wrong format"),
        ({"connection": 999999}, "connection", "No meeting connection 999999"),
        ({"title": ...}, "title", "required"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api_admin, customer, values, field, needle):
    before = database_state()
    response = api_admin.post(url(customer), body(**values), format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(e["field"] == field and needle in e["message"] for e in errors), errors
    assert database_state() == before


def test_a_connection_of_another_customer_or_of_no_meeting_channel_is_refused(api_admin, customer):
    foreign = teams_connection(CustomerFactory(name="Initech", slug="initech"))
    not_meetings = TestChannelConfigurationFactory(customer=customer)
    for connection in (foreign, not_meetings):
        response = api_admin.post(url(customer), body(connection=connection.pk), format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == f"No meeting connection {connection.pk} of this customer."
        assert "Initech" not in response.content.decode()


def test_the_connection_of_a_created_meeting_cannot_change(api_admin, customer):
    first, second = teams_connection(customer), teams_connection(customer, name="second")
    session = make_session(customer, connection=first, room_id="MSoxKjA", join_url="https://teams.example/j/1")
    response = api_admin.patch(url(customer, f"{session.pk}/"), {"connection": second.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "connection"


def test_another_customers_administrator_and_learners_get_404_and_change_nothing(
    api_other, customer, other_customer, learner
):
    session = make_session(customer)
    own = make_session(other_customer, title="Globex session")
    paths = [
        ("get", url(customer)),
        ("post", url(customer)),
        ("get", url(customer, f"{session.pk}/")),
        ("patch", url(customer, f"{session.pk}/")),
        ("post", url(customer, f"{session.pk}/cancel/")),
        ("get", url(customer, f"{session.pk}/registrations/")),
        ("get", url(customer, f"{session.pk}/attendance/")),
        ("post", url(customer, f"{session.pk}/attendance/")),
        # their own customer's URL with customer A's session id
        ("get", url(other_customer, f"{session.pk}/")),
        ("post", url(other_customer, f"{session.pk}/cancel/")),
    ]
    clients = (api_other, client_for(learner.user))
    before = database_state()
    for client in clients:
        for method, path in paths:
            response = getattr(client, method)(path, body(title="Hacked"), format="json")
            assert response.status_code == 404, (method, path, response.status_code)
            assert "Existing" not in response.content.decode()
    assert database_state() == before
    listed = api_other.get(url(other_customer)).json()["results"]
    assert [row["id"] for row in listed] == [own.pk]


def test_attendance_list_and_manual_correction_complete_the_course(api_admin, customer, customer_admin):
    course = CourseFactory(course_id=COURSE)
    session = make_session(customer)
    alice, bob = enroll(customer, 2)
    record_provider_attendance(session=session, participants=[Participant(alice.email, seconds=600)])
    listed = api_admin.get(url(customer, f"{session.pk}/attendance/")).json()["results"]
    assert [(row["email"], row["minutes"], row["attended_percent"], row["source"]) for row in listed] == [
        (alice.email, "10.00", "16.67", "provider")
    ]

    response = api_admin.post(
        url(customer, f"{session.pk}/attendance/"),
        {"email": alice.email.upper(), "minutes": "45", "note": "Joined from a meeting room"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["source"], row["corrected_by"], row["minutes"]) == ("manual", customer_admin.username, "45.00")
    assert row["correction_note"] == "Joined from a meeting room" and row["corrected_at"]
    assert Certificate.objects.filter(user=alice, course=course).exists()  # 45 of 60 minutes ≥ 50 %
    created = api_admin.post(
        url(customer, f"{session.pk}/attendance/"), {"user_id": bob.pk, "minutes": "5"}, format="json"
    )
    assert created.status_code == 201
    assert not Certificate.objects.filter(user=bob, course=course).exists()
    # a later provider report does not overwrite the correction
    record_provider_attendance(session=session, participants=[Participant(alice.email, seconds=60)])
    assert Attendance.objects.get(session=session, user=alice).minutes == Decimal(45)


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"email": "nobody@example.org", "minutes": "10"}, "email", "not_a_learner"),
        ({"minutes": "10"}, "email", "invalid"),
        ({"email": "a@example.org", "user_id": 1, "minutes": "10"}, "email", "invalid"),
        ({"email": "a@example.org", "minutes": "-1"}, "minutes", "min_value"),
        ({"email": "a@example.org", "minutes": "601"}, "minutes", "invalid"),
        ({"email": "a@example.org", "minutes": "10", "quiz_percent": "120"}, "quiz_percent", "max_value"),
    ],
)
def test_bad_corrections_are_refused_naming_the_field(api_admin, customer, payload, field, code):
    session = make_session(customer)
    outsider = LearnerFactory(customer=CustomerFactory(), user=UserFactory(email="other@example.org"))
    before = database_state()
    response = api_admin.post(url(customer, f"{session.pk}/attendance/"), payload, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]][:1] == [(field, code)]
    refused = api_admin.post(
        url(customer, f"{session.pk}/attendance/"), {"user_id": outsider.user_id, "minutes": "5"}, format="json"
    )
    assert refused.json()["errors"][0]["message"] == "Not a learner of this customer."  # nothing more about them
    assert database_state() == before


def test_staff_need_the_classroom_permissions(customer):
    session = make_session(customer)
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="classroom", codename__startswith="view_")
    )
    client = client_for(viewer)
    assert client.get(url(customer, f"{session.pk}/attendance/")).status_code == 200
    refused = client.post(url(customer, f"{session.pk}/attendance/"), {"user_id": 1, "minutes": "1"}, format="json")
    assert refused.status_code == 403
    assert "classroom.add_attendance" in refused.json()["errors"][0]["message"]
    assert client.post(url(customer, f"{session.pk}/cancel/")).status_code == 403
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


def test_lists_cost_the_same_whatever_the_number_of_rows(api_admin, customer, django_assert_max_num_queries):
    session = make_session(customer, capacity=3)
    for n in range(3):
        make_session(customer, title=f"S{n}", connection=teams_connection(customer, name=f"c{n}"))
    enroll(customer, 6)
    from integrated_channels.classroom.services.registration import register_enrolled_learners

    register_enrolled_learners(session=session)
    record_provider_attendance(
        session=session, participants=[Participant(r.user.email, seconds=60) for r in session.registrations.all()]
    )
    for tail in ("", f"{session.pk}/registrations/", f"{session.pk}/attendance/"):
        with django_assert_max_num_queries(6):
            response = api_admin.get(url(customer, tail))
        assert response.status_code == 200 and len(response.json()["results"]) >= 3
    assert Registration.objects.filter(session=session, status="waitlisted").count() == 3


def test_instructors_are_the_customers_administrators_or_learners_by_email(api_admin, customer, customer_admin):
    customer_admin.email = "trainer@acme.example"
    customer_admin.save()
    colleague = LearnerFactory(customer=customer, user=UserFactory(email="colleague@acme.example")).user
    outsider = LearnerFactory(customer=CustomerFactory(), user=UserFactory(email="outsider@initech.example")).user
    created = api_admin.post(url(customer), body(instructors=["Trainer@acme.example", colleague.email]), format="json")
    assert created.status_code == 201, created.json()
    assert sorted(created.json()["instructors"]) == ["colleague@acme.example", "trainer@acme.example"]
    for address in (outsider.email, "nobody@example.org"):
        refused = api_admin.post(url(customer), body(instructors=[address]), format="json")
        assert refused.status_code == 400
        (problem,) = refused.json()["errors"]
        assert problem["field"] == "instructors"
        assert problem["message"] == f"No administrator or learner of this customer has the address {address}."
    session_id = created.json()["id"]
    changed = api_admin.patch(url(customer, f"{session_id}/"), {"instructors": [colleague.email]}, format="json")
    assert changed.json()["instructors"] == [colleague.email]
