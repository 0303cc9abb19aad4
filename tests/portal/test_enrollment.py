"""The portal's Learners page: enroll (course or program, mode, notify), unenroll, the pickers and the
e-mail preview — on the admin's services, with the admin's limits and error reporting."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import (
    EnrollmentNotification,
    EnterpriseCourseEnrollment,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)
from enterprise.services import upload_store
from tests.factories import (
    CourseFactory,
    EmailTemplateFactory,
    EnrollmentFactory,
    LearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
COURSE = "course-v1:Acme+SAFE101+2027"


@pytest.fixture
def course():
    return CourseFactory(course_id=COURSE, title="Workplace Safety", modes=["audit", "verified"])


def url(customer, name="learners", **kwargs):
    return reverse(f"enterprise_portal:{name}", kwargs={"customer_uuid": customer.uuid, **kwargs})


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("learners.csv", text.encode(), content_type="text/csv")


def enrolled(customer, course_id=COURSE) -> set[str]:
    return set(
        EnterpriseCourseEnrollment.objects.enrolled()
        .filter(learner__customer=customer, course_id=course_id)
        .values_list("learner__user__email", flat=True)
    )


# -- enroll ------------------------------------------------------------------------------------------


def test_link_one_learner_and_enroll_them_in_a_course(admin_client, acme, course):
    UserFactory(email="bob@example.com")
    response = admin_client.post(
        url(acme),
        {"action": "link", "email": "bob@example.com", "course_id": COURSE, "course_mode": "verified"},
        follow=True,
    )
    assert enrolled(acme) == {"bob@example.com"}
    assert LmsEnrollment.objects.get(user__email="bob@example.com", course__course_id=COURSE).mode == "verified"
    assert "Linked bob@example.com to Acme Corp. (1 linked, 1 enrolled)" in response.content.decode()


def test_an_already_linked_learner_is_enrolled(admin_client, acme, course):
    LearnerFactory(customer=acme, user__email="carol@example.com")
    admin_client.post(
        url(acme), {"action": "link", "email": "carol@example.com", "course_id": COURSE, "course_mode": "audit"}
    )
    assert enrolled(acme) == {"carol@example.com"}


def test_a_pending_learner_gets_a_pending_enrollment(admin_client, acme, course):
    admin_client.post(
        url(acme), {"action": "link", "email": "new@example.com", "course_id": COURSE, "course_mode": "audit"}
    )
    pending = PendingEnterpriseCustomerUser.objects.get(customer=acme)
    assert PendingEnrollment.objects.get(pending_learner=pending).course_id == COURSE


def test_enroll_a_csv_in_a_program_after_its_preview(admin_client, acme):
    first, second = CourseFactory(modes=["audit"]), CourseFactory(modes=["audit"])
    program = ProgramFactory(title="Onboarding", courses=[first, second])
    UserFactory(email="bob@example.com")
    data = {"program_id": str(program.program_id), "course_mode": "audit"}
    response = admin_client.post(url(acme), {"action": "link", **data, "csv_file": upload("bob@example.com\n")})
    assert response.status_code == 200 and response.context["result"].previewing
    assert "Will enroll in" in response.content.decode() and "Onboarding" in response.content.decode()
    assert not EnterpriseCourseEnrollment.objects.exists()
    confirm = response.context["confirm"]
    assert confirm.initial["program_id"] == str(program.program_id) and confirm.initial["operation"] == "link"
    response = admin_client.post(
        url(acme),
        {"action": "confirm", "token": confirm.initial["token"], "operation": "link", **data},
    )
    assert response.context["result"].applied
    assert set(EnterpriseCourseEnrollment.objects.values_list("course_id", flat=True)) == {
        first.course_id,
        second.course_id,
    }


def test_the_admins_errors_on_the_same_fields(admin_client, acme, course):
    cases = [
        ({"course_id": "course-v1:No+Such+Course", "course_mode": "audit"}, "course_id", "course-v1:No+Such+Course"),
        ({"course_id": COURSE, "course_mode": "honor"}, "course_mode", "Available modes: audit, verified"),
        ({"program_id": "not-a-program", "course_mode": "audit"}, "program_id", "not-a-program"),
        ({"course_id": COURSE, "program_id": "x", "course_mode": "audit"}, "program_id", "not both"),
    ]
    for fields, field, words in cases:
        response = admin_client.post(url(acme), {"action": "link", "email": "new@example.com", **fields})
        assert response.status_code == 200
        assert words in " ".join(response.context["form"].errors.get(field, [])), (
            fields,
            response.context["form"].errors,
        )
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_notify_needs_a_template_and_says_so_on_the_notify_field(admin_client, acme, course):
    response = admin_client.post(
        url(acme),
        {"action": "link", "email": "new@example.com", "course_id": COURSE, "course_mode": "audit", "notify": "on"},
    )
    assert "no course enrollment notification template" in " ".join(response.context["form"].errors["notify"])
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_notify_sends_the_customers_e_mail_after_commit(admin_client, acme, course, django_capture_on_commit_callbacks):
    EmailTemplateFactory(customer=acme, subject_line="Welcome to {course_name}")
    UserFactory(email="bob@example.com", first_name="Bob", last_name="Lee")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url(acme),
            {"action": "link", "email": "bob@example.com", "course_id": COURSE, "course_mode": "audit", "notify": "on"},
        )
    assert [m.subject for m in mail.outbox] == ["Welcome to Workplace Safety"]
    assert mail.outbox[0].to == ["bob@example.com"]
    assert EnrollmentNotification.objects.get().status == EnrollmentNotification.Status.SENT


def test_a_csv_preview_with_notify_says_who_will_be_notified(admin_client, acme, course):
    EmailTemplateFactory(customer=None)
    data = {"action": "link", "course_id": COURSE, "course_mode": "audit", "notify": "on"}
    response = admin_client.post(url(acme), {**data, "csv_file": upload("a@example.com\nb@example.com\n")})
    assert response.context["result"].notifications == 2
    assert "To notify" in response.content.decode()
    assert response.context["confirm"].initial["notify"] is True
    assert not EnrollmentNotification.objects.exists()


# -- unenroll ------------------------------------------------------------------------------------------


def test_unenroll_one_learner(admin_client, acme, course):
    learner = LearnerFactory(customer=acme, user__email="bob@example.com")
    EnrollmentFactory(learner=learner, course_id=COURSE)
    response = admin_client.post(
        url(acme), {"action": "unenroll", "email": "bob@example.com", "course_id": COURSE}, follow=True
    )
    assert enrolled(acme) == set()
    assert f"course {COURSE}: 1 unenrolled." in response.content.decode()


def test_unenroll_names_a_non_learner_without_telling_whose(admin_client, acme, globex, course):
    other = LearnerFactory(customer=globex, user__email="gus@globex.test")
    EnrollmentFactory(learner=other, course_id=COURSE)
    response = admin_client.post(url(acme), {"action": "unenroll", "email": "gus@globex.test", "course_id": COURSE})
    assert response.context["form"].errors["email"] == ["Not a learner of this customer."]
    assert "Globex" not in response.content.decode()
    assert enrolled(globex) == {"gus@globex.test"}


def test_unenroll_needs_a_course_or_program(admin_client, acme):
    response = admin_client.post(url(acme), {"action": "unenroll", "email": "bob@example.com"})
    assert "Give the Course ID or the Program ID" in " ".join(response.context["form"].non_field_errors())


def test_unenroll_a_csv_after_its_preview(admin_client, acme, course):
    for email in ("a@example.com", "b@example.com"):
        EnrollmentFactory(learner=LearnerFactory(customer=acme, user__email=email), course_id=COURSE)
    response = admin_client.post(
        url(acme), {"action": "unenroll", "course_id": COURSE, "csv_file": upload("a@example.com\nz@example.com\n")}
    )
    result = response.context["result"]
    assert result.previewing and result.unenroll_target.target_id == COURSE
    assert "Will unenroll from" in response.content.decode()
    assert enrolled(acme) == {"a@example.com", "b@example.com"}
    token = response.context["confirm"].initial["token"]
    response = admin_client.post(
        url(acme), {"action": "confirm", "token": token, "operation": "unenroll", "course_id": COURSE}
    )
    assert response.context["result"].applied
    assert enrolled(acme) == {"b@example.com"}
    with pytest.raises(Exception, match="expired"):
        upload_store.open_file(token, customer=acme)  # applied: deleted


def test_unenroll_selected_learners_of_this_customer_only(admin_client, acme, globex, course):
    mine = LearnerFactory(customer=acme, user__email="a@example.com")
    EnrollmentFactory(learner=mine, course_id=COURSE)
    theirs = LearnerFactory(customer=globex, user__email="g@example.com")
    EnrollmentFactory(learner=theirs, course_id=COURSE)
    response = admin_client.post(
        url(acme),
        {"action": "unenroll_selected", "user_id": [str(mine.user_id), str(theirs.user_id)], "course_id": COURSE},
        follow=True,
    )
    assert enrolled(acme) == set() and enrolled(globex) == {"g@example.com"}
    text = response.content.decode()
    assert "1 unenrolled" in text and "1 not a learner" in text


def test_unenroll_selected_without_a_course_is_an_error_message(admin_client, acme):
    learner = LearnerFactory(customer=acme)
    response = admin_client.post(
        url(acme), {"action": "unenroll_selected", "user_id": str(learner.user_id)}, follow=True
    )
    assert "Give the Course ID or the Program ID to unenroll from." in response.content.decode()


# -- the pickers and the e-mail preview ---------------------------------------------------------------------


def test_the_pickers_answer_from_the_catalog(admin_client, acme, course):
    ProgramFactory(title="Safety Program", courses=[course])
    body = admin_client.get(url(acme, "catalog_search"), {"q": "safety", "kind": "course"}).json()
    assert [entry["id"] for entry in body["results"]] == [COURSE]
    body = admin_client.get(url(acme, "catalog_search"), {"q": "safety", "kind": "program"}).json()
    assert [entry["title"] for entry in body["results"]] == ["Safety Program"]
    assert admin_client.get(url(acme, "catalog_search"), {"q": "s", "kind": "course"}).json() == {"results": []}
    assert admin_client.get(url(acme, "catalog_search"), {"q": "safety", "kind": "x"}).status_code == 400
    body = admin_client.get(url(acme, "course_modes"), {"course_id": COURSE}).json()
    assert body == {"course_id": COURSE, "title": "Workplace Safety", "modes": ["audit", "verified"]}
    assert admin_client.get(url(acme, "course_modes"), {"course_id": "course-v1:No+Such+X"}).status_code == 404


def test_the_page_wires_the_pickers_to_the_customers_urls(admin_client, acme):
    text = admin_client.get(url(acme)).content.decode()
    assert f'data-catalog-search-url="{url(acme, "catalog_search")}"' in text
    assert f'data-course-modes-url="{url(acme, "course_modes")}"' in text
    assert "enterprise/js/manage_learners.js" in text
    assert 'id="course-mode-status"' in text


def test_the_e_mail_preview_shows_the_customers_template_else_the_default(admin_client, acme, globex):
    EmailTemplateFactory(customer=None, template_type="course", subject_line="Default: {course_name}")
    EmailTemplateFactory(customer=globex, template_type="course", subject_line="Globex only")
    response = admin_client.get(url(acme, "email_preview", template_type="course"))
    assert response.status_code == 200
    assert response.context["preview"].subject == "Default: Analytical Engines: An Introduction"
    assert not response.context["own_template"]
    EmailTemplateFactory(customer=acme, template_type="course", subject_line="Acme: {course_name}")
    response = admin_client.get(url(acme, "email_preview", template_type="course"))
    assert response.context["own_template"] and "Acme: Analytical Engines" in response.content.decode()
    assert 'sandbox title="The HTML body of the e-mail"' in response.content.decode()
    response = admin_client.get(url(acme, "email_preview", template_type="program"))
    assert "There is no program enrollment e-mail for Acme Corp" in response.content.decode()
    assert admin_client.get(url(acme, "email_preview", template_type="other")).status_code == 404


def test_a_template_that_cannot_render_says_why(admin_client, acme):
    EmailTemplateFactory(customer=acme, subject_line="Hi {unknown_placeholder}")
    response = admin_client.get(url(acme, "email_preview", template_type="course"))
    assert response.status_code == 200 and response.context["error"]
    assert "cannot be rendered" in response.content.decode()


def test_an_lms_refusal_is_a_warning_naming_the_learner_as_in_the_admin(admin_client, acme, course, monkeypatch):
    from enterprise.services import unenrollment
    from tests.enterprise.test_unenrollment import RefusingBackend

    ann = LearnerFactory(customer=acme, user__email="ann@example.com")
    bob = LearnerFactory(customer=acme, user__email="bob@example.com")
    for learner in (ann, bob):
        EnrollmentFactory(learner=learner, course_id=COURSE)
    monkeypatch.setattr(unenrollment, "get_enrollment_backend", lambda: RefusingBackend(bob.user_id))
    response = admin_client.post(
        url(acme), {"action": "unenroll", "email": "bob@example.com", "course_id": COURSE}, follow=True
    )
    (message,) = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert message == (
        "warning",
        f"course {COURSE}: 1 unenrollment failed. bob@example.com: {COURSE}: The LMS said no.",
    )
    assert enrolled(acme) == {"ann@example.com", "bob@example.com"}
