"""The Manage Learners page: button, single link, CSV preview then confirm, enrollment, lists, report."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerUser,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)
from enterprise.services import upload_store
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    LearnerFactory,
    PendingLearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme Corp", slug="acme")


def page_url(customer):
    return reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])


def upload(name: str, text: str, encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def post_link(client, customer, **data):
    return client.post(page_url(customer), {"action": "link", **data})


def test_customer_page_has_the_manage_learners_button(staff_client, customer):
    response = staff_client.get(reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk]))
    assert f'href="{page_url(customer)}"' in response.content.decode()
    assert "Manage Learners" in response.content.decode()


def test_page_loads_with_the_labelled_inputs(staff_client, customer):
    response = staff_client.get(page_url(customer))
    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Email or username",
        "CSV file of e-mail addresses",
        "Course ID",
        "Program ID",
        "Course Enrollment Mode",
    ):
        assert f">{label}:</label>" in html
    assert "manage_learners.js" in html


def test_non_staff_are_sent_to_login_and_staff_without_change_permission_are_refused(client, customer):
    client.force_login(UserFactory(is_staff=False))
    assert client.get(page_url(customer)).status_code == 302
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_enterprisecustomer"))
    client.force_login(viewer)
    assert client.get(page_url(customer)).status_code == 403


def test_unknown_customer_is_404(staff_client):
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=["00000000-0000-0000-0000-000000000000"])
    assert staff_client.get(url).status_code == 404


# -- one learner ---------------------------------------------------------------------------------------


def test_link_one_learner_by_username(staff_client, customer):
    user = UserFactory(username="ann", email="ann@example.com")
    response = post_link(staff_client, customer, email_or_username="ann")
    assert response.status_code == 302
    assert EnterpriseCustomerUser.objects.get(user=user).customer == customer
    page = staff_client.get(response["Location"]).content.decode()
    assert "Linked ann to Acme Corp." in page


def test_link_one_unknown_email_makes_a_pending_learner(staff_client, customer):
    response = post_link(staff_client, customer, email_or_username=" New@Example.com ")
    assert response.status_code == 302
    assert PendingEnterpriseCustomerUser.objects.get().user_email == "new@example.com"


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("ghost", "No user with username &#x27;ghost&#x27;."),
        ("bad@", "&#x27;bad@&#x27; is not a valid e-mail address."),
    ],
)
def test_single_link_errors_are_shown_on_the_field(staff_client, customer, identifier, message):
    response = post_link(staff_client, customer, email_or_username=identifier)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not EnterpriseCustomerUser.objects.exists() and not PendingEnterpriseCustomerUser.objects.exists()


def test_a_learner_of_another_customer_is_refused_naming_it(staff_client, customer):
    LearnerFactory(customer__name="Globex", user__username="ann")
    response = post_link(staff_client, customer, email_or_username="ann")
    assert "ann is already linked to enterprise customer &#x27;Globex&#x27;." in response.content.decode()


def test_one_of_single_or_csv_is_required_and_not_both(staff_client, customer):
    assert (
        "Enter an e-mail address or username, or choose a CSV file."
        in post_link(staff_client, customer).content.decode()
    )
    both = post_link(
        staff_client, customer, email_or_username="a@example.com", bulk_upload_csv=upload("a.csv", "b@x.com")
    )
    assert "not both" in both.content.decode()


# -- bulk: preview, then confirm ------------------------------------------------------------------------


def test_csv_preview_changes_nothing_and_shows_every_row_with_totals(staff_client, customer):
    UserFactory(email="Ann@Example.com")
    LearnerFactory(customer__name="Globex", user__email="taken@example.com")
    text = "\ufeffemail\r\nann@example.com\r\nnew@example.com\r\n\r\ntaken@example.com\r\nbroken\r\n"
    response = post_link(staff_client, customer, bulk_upload_csv=upload("learners.csv", text))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing has changed yet" not in html  # a file with invalid rows is refused, not confirmable
    assert "Refused: nothing has changed" in html
    assert "1 invalid row(s) (line 6)" in html
    assert 'id="confirm-form"' not in html
    rows = {row["line"]: row for row in response.context["shown_rows"]}
    assert rows[2]["label"] == "will link" and rows[3]["label"] == "will be pending"
    assert rows[5]["label"] == "conflict with another customer" and "Globex" in rows[5]["message"]
    assert rows[6]["label"] == "invalid"
    assert not EnterpriseCustomerUser.objects.filter(customer=customer).exists()
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_csv_preview_then_confirm_applies_and_enrolls(staff_client, customer):
    course = CourseFactory(course_id="course-v1:Org+CS101+2027", modes=["audit", "verified"])
    ann = UserFactory(email="ann@example.com")
    response = post_link(
        staff_client,
        customer,
        bulk_upload_csv=upload("learners.csv", "ann@example.com\nnew@example.com\n"),
        course_id=course.course_id,
        course_mode="verified",
    )
    html = response.content.decode()
    assert "Preview: nothing has changed yet" in html and 'id="confirm-form"' in html
    assert "Will enroll in" in html and "course-v1:Org+CS101+2027" in html
    assert [(label, count) for _s, label, count in response.context["totals"]] == [
        ("will link", 1),
        ("will be pending", 1),
    ]
    assert not EnterpriseCustomerUser.objects.exists() and not LmsEnrollment.objects.exists()
    confirm = response.context["confirm"]
    data = {"action": "confirm", **{name: confirm[name].value() or "" for name in confirm.fields}}
    done = staff_client.post(page_url(customer), data)
    assert done.status_code == 200
    assert "Done: 1 linked, 1 pending, 1 enrolled, 1 enrolled at registration." in done.content.decode()
    assert EnterpriseCustomerUser.objects.get(user=ann).customer == customer
    assert LmsEnrollment.objects.get(user=ann).mode == "verified"
    assert EnterpriseCourseEnrollment.objects.get().course_id == course.course_id
    assert PendingEnrollment.objects.get().mode == "verified"
    # The upload is gone: confirming again is refused, nothing is applied twice.
    again = staff_client.post(page_url(customer), data, follow=True)
    assert "This upload has expired or is unknown" in again.content.decode()


def test_confirming_a_forged_or_foreign_token_is_refused(staff_client, customer):
    token = upload_store.save_file(upload("x.csv", "a@example.com\n"), customer=CustomerFactory(), suffix=".csv")
    response = staff_client.post(page_url(customer), {"action": "confirm", "token": token}, follow=True)
    assert "This upload has expired or is unknown" in response.content.decode()
    response = staff_client.post(page_url(customer), {"action": "confirm", "token": "forged"}, follow=True)
    assert "This upload has expired or is unknown" in response.content.decode()
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_too_large_files_are_refused_before_reading(staff_client, customer, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 20}
    response = post_link(staff_client, customer, bulk_upload_csv=upload("big.csv", "a@example.com\n" * 5))
    assert "The file is 70 bytes; the limit is 20 bytes" in response.content.decode()


def test_too_many_rows_are_refused(staff_client, customer, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_MAX_ROWS": 2}
    text = "a@example.com\nb@example.com\nc@example.com\n"
    response = post_link(staff_client, customer, bulk_upload_csv=upload("rows.csv", text))
    assert "more than 2 rows (line 3 is row 3)" in response.content.decode()


def test_not_utf8_is_refused_naming_the_line(staff_client, customer):
    response = post_link(
        staff_client, customer, bulk_upload_csv=upload("l1.csv", "a@example.com\nbé@example.com\n", "latin-1")
    )
    assert "Line 2 is not UTF-8 text" in response.content.decode()


def test_invalid_enrollment_mode_lists_the_available_modes(staff_client, customer):
    CourseFactory(course_id="course-v1:Org+CS101+2027", modes=["audit", "verified"])
    response = post_link(
        staff_client,
        customer,
        email_or_username="a@example.com",
        course_id="course-v1:Org+CS101+2027",
        course_mode="honor",
    )
    html = response.content.decode()
    assert "Enrollment mode &#x27;honor&#x27; is not available for course course-v1:Org+CS101+2027." in html
    assert "Available modes: audit, verified." in html
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_course_and_program_exclude_each_other(staff_client, customer):
    response = post_link(staff_client, customer, email_or_username="a@example.com", course_id="c", program_id="p")
    assert "Fill in Course ID or Program ID, not both." in response.content.decode()


def test_enroll_in_a_program_with_a_single_learner(staff_client, customer):
    program = ProgramFactory(courses=[CourseFactory(modes=["audit"]), CourseFactory(modes=["audit", "verified"])])
    user = UserFactory(username="ann")
    response = post_link(
        staff_client, customer, email_or_username="ann", program_id=str(program.program_id), course_mode="audit"
    )
    assert response.status_code == 302
    assert LmsEnrollment.objects.filter(user=user).count() == 2


def test_report_download_has_every_row_and_escapes_formulas(staff_client, customer, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_PREVIEW_ROWS": 1}
    text = 'ok@example.com\n=HYPERLINK("http://evil")\n+1@example.com\n'
    response = post_link(staff_client, customer, bulk_upload_csv=upload("r.csv", text))
    assert response.context["hidden_rows"] == 2
    report = staff_client.get(response.context["report_token"] and _report_url(customer, response))
    assert report["Content-Disposition"] == 'attachment; filename="manage-learners-acme.csv"'
    content = b"".join(report.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:4] == ["line", "value", "email", "status"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert rows[2][1] == '\'=HYPERLINK("http://evil")' and rows[2][3] == "invalid"
    assert rows[3][1] == "'+1@example.com"


def _report_url(customer, response):
    return (
        reverse("admin:enterprise_enterprisecustomer_manage_learners_report", args=[customer.pk])
        + "?token="
        + response.context["report_token"]
    )


def test_report_of_another_customer_is_not_served(staff_client, customer):
    token = upload_store.save_file(upload("x.csv", "a@example.com\n"), customer=CustomerFactory(), suffix=".csv")
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners_report", args=[customer.pk])
    assert staff_client.get(url, {"token": token}).status_code == 404


# -- course modes for the page's script ---------------------------------------------------------------


def test_course_modes_endpoint(staff_client):
    CourseFactory(course_id="course-v1:Org+CS101+2027", title="CS 101", modes=["verified", "audit"])
    url = reverse("admin:enterprise_enterprisecustomer_course_modes")
    assert staff_client.get(url, {"course_id": "course-v1:Org+CS101+2027"}).json() == {
        "course_id": "course-v1:Org+CS101+2027",
        "title": "CS 101",
        "modes": ["audit", "verified"],
    }
    missing = staff_client.get(url, {"course_id": "course-v1:No+Such+Thing"})
    assert missing.status_code == 404 and "No course with id" in missing.json()["error"]
    assert staff_client.get(url).status_code == 400


# -- the lists -------------------------------------------------------------------------------------------


def test_unlink_selected_learners_softly(staff_client, customer):
    kept, gone = LearnerFactory(customer=customer), LearnerFactory(customer=customer)
    other = LearnerFactory()
    response = staff_client.post(
        page_url(customer), {"action": "unlink", "user_id": [gone.user_id, other.user_id]}, follow=True
    )
    assert "Unlinked 1 learner." in response.content.decode()
    gone.refresh_from_db()
    assert not gone.linked and gone.unlinked_at is not None  # the row is kept
    assert EnterpriseCustomerUser.objects.filter(pk__in=[kept.pk, other.pk], linked=True).count() == 2


def test_delete_selected_pending_learners(staff_client, customer):
    mine, others = PendingLearnerFactory(customer=customer), PendingLearnerFactory()
    response = staff_client.post(
        page_url(customer), {"action": "delete_pending", "pending_id": [mine.pk, others.pk]}, follow=True
    )
    assert "Deleted 1 pending learner." in response.content.decode()
    assert list(PendingEnterpriseCustomerUser.objects.all()) == [others]


def test_lists_are_searchable_and_paginated_newest_first(staff_client, customer, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_PAGE_SIZE": 2}
    learners = [LearnerFactory(customer=customer, user__username=f"ann{i}") for i in range(5)]
    LearnerFactory(
        customer=customer,
        user__username="bob",
        user__email="bob@example.com",
        user__first_name="Robert",
        user__last_name="Stone",
    )
    first = staff_client.get(page_url(customer), {"linked_q": "ann"})
    page = first.context["linked"]
    assert page.total == 5
    assert [learner.user.username for learner in page.items] == ["ann4", "ann3"]
    older = staff_client.get(first.context["linked_urls"]["older"])
    assert [learner.user.username for learner in older.context["linked"].items] == ["ann2", "ann1"]
    newer = staff_client.get(older.context["linked_urls"]["newer"])
    assert [learner.user.username for learner in newer.context["linked"].items] == ["ann4", "ann3"]
    assert "newer" not in newer.context["linked_urls"]
    by_email = staff_client.get(page_url(customer), {"linked_q": "BOB@example.com"})
    assert [learner.user.username for learner in by_email.context["linked"].items] == ["bob"]
    assert (
        learners[0].user.username
        in staff_client.get(page_url(customer), {"linked_q": str(learners[0].user_id)}).content.decode()
    )


def test_pending_list_search(staff_client, customer):
    PendingLearnerFactory(customer=customer, user_email="carol@example.com")
    PendingLearnerFactory(customer=customer, user_email="carl@example.com")
    PendingLearnerFactory(user_email="cara@example.com")  # another customer's
    prefix = staff_client.get(page_url(customer), {"pending_q": "car"}).context["pending"]
    assert sorted(p.user_email for p in prefix.items) == ["carl@example.com", "carol@example.com"]
    exact = staff_client.get(page_url(customer), {"pending_q": " Carol@Example.com"}).context["pending"]
    assert [p.user_email for p in exact.items] == ["carol@example.com"]


def test_page_queries_do_not_grow_with_the_lists(staff_client, customer):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(page_url(customer)).status_code == 200
        return len(queries)

    LearnerFactory(customer=customer)
    PendingLearnerFactory(customer=customer)
    few = count()
    for _ in range(30):
        LearnerFactory(customer=customer)
        PendingLearnerFactory(customer=customer)
    assert count() == few


def test_notify_is_carried_from_the_preview_to_the_confirmation(
    staff_client, customer, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.factories import EmailTemplateFactory

    EmailTemplateFactory(customer=customer)
    course = CourseFactory(modes=["audit"])
    preview = post_link(
        staff_client,
        customer,
        bulk_upload_csv=upload("n.csv", "new@example.com\n"),
        course_id=course.course_id,
        course_mode="audit",
        notify="on",
    )
    assert mail.outbox == [] and "will be sent" in preview.content.decode()
    confirm = preview.context["confirm"]
    data = {"action": "confirm", **{name: confirm[name].value() or "" for name in confirm.fields}}
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(page_url(customer), data)
    assert [message.to for message in mail.outbox] == [["new@example.com"]]


def test_notifications_admin_lists_and_sends_failed_ones_again(staff_client, django_capture_on_commit_callbacks):
    from django.core import mail

    from enterprise.models import EnrollmentNotification
    from tests.factories import EmailTemplateFactory

    template = EmailTemplateFactory()
    failed = EnrollmentNotification.objects.create(
        customer=template.customer, email="a@example.com", template_type="course", target_id="c", status="failed"
    )
    changelist = reverse("admin:enterprise_enrollmentnotification_changelist")
    assert "a@example.com" in staff_client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(changelist, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)
    assert "1 notification queued again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "sent" and len(mail.outbox) == 1


def test_a_refused_upload_is_not_kept_in_storage(staff_client, customer, settings):
    from django.core.files.storage import default_storage

    settings.ENTERPRISE = {"MANAGE_LEARNERS_MAX_ROWS": 1}
    post_link(staff_client, customer, bulk_upload_csv=upload("rows.csv", "a@example.com\nb@example.com\n"))
    assert default_storage.listdir(upload_store.DIRECTORY)[1] == []
