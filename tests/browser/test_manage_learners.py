"""End to end in a real browser: an operator links a CSV, previews, confirms, enrolls in a course, checks the lists."""

import re

import pytest
from django.urls import reverse

from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCustomerUser, PendingEnrollment, PendingEnterpriseCustomerUser
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EmailTemplateFactory,
    LearnerFactory,
    ProgramFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "\ufeffEmail\r\n"
    "Ann.Lee@Example.com\r\n"
    "bob@example.com\r\n"
    "\r\n"
    "new.hire@example.com\r\n"
    "taken@example.com\r\n"
    "bob@example.com\r\n"
).encode()


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    StaffFactory(username="operator")  # password "password"
    customer = CustomerFactory(name="Acme Corporation", slug="acme")
    course = CourseFactory(course_id="course-v1:Acme+Onboarding+2027", title="Onboarding", modes=["audit", "verified"])
    ProgramFactory(title="Leadership", courses=[course])
    UserFactory(username="ann", email="ann.lee@example.com", first_name="Ann", last_name="Lee")
    UserFactory(username="bob", email="BOB@example.com", first_name="Robert", last_name="Stone")
    LearnerFactory(customer__name="Globex", user__username="taken", user__email="taken@example.com")
    return customer, course


def test_link_a_csv_preview_confirm_enroll_and_see_the_lists(live_server, open_browser, data, artifacts_dir):
    customer, course = data
    login_url = live_server.url + reverse("admin:login")
    customer_url = live_server.url + reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk])
    with open_browser() as page:
        _operate(page, login_url, customer_url, course.course_id, artifacts_dir)

    assert set(
        LmsEnrollment.objects.filter(course__course_id=course.course_id).values_list("user__username", "mode")
    ) == {("ann", "verified"), ("bob", "verified")}
    assert PendingEnterpriseCustomerUser.objects.get(customer=customer).user_email == "new.hire@example.com"
    assert PendingEnrollment.objects.get().course_id == course.course_id
    assert EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).count() == 2


def _operate(page, login_url, customer_url, course_id, artifacts_dir):
    page.goto(login_url)
    page.fill("#id_username", "operator")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.goto(customer_url)

    # The button in the top-right corner of the customer's page.
    page.click("text=Manage Learners")
    page.wait_for_selector("h1:has-text('Manage Learners: Acme Corporation')")

    # Program ID blocks Course ID and offers all modes; Course ID blocks Program ID and offers the course's.
    course_input, program_input, mode_select = (
        page.locator("#id_course_id"),
        page.locator("#id_program_id"),
        page.locator("#id_course_mode"),
    )
    program_input.fill("any-program")
    assert course_input.is_disabled()
    assert "professional" in mode_select.locator("option").all_inner_texts()
    program_input.fill("")
    assert not course_input.is_disabled()
    course_input.fill(course_id)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#id_course_mode option')).map(o => o.value).join(',') "
        "=== ',audit,verified'"
    )
    assert program_input.is_disabled()
    page.wait_for_selector("#course-mode-status:has-text('Modes of Onboarding: audit, verified')")
    mode_select.select_option("verified")

    page.set_input_files("#id_bulk_upload_csv", files=[{"name": "learners.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.click("#link-submit")

    # The preview: per row, with line numbers and totals; nothing has changed yet.
    page.wait_for_selector("h2:has-text('Preview: nothing has changed yet')")
    totals = {
        row.locator("th").inner_text().strip(): row.locator("td").inner_text().strip()
        for row in page.locator("#totals tr").all()
    }
    assert totals == {
        "Will link": "2",
        "Will be pending": "1",
        "Conflict with another customer": "1",
        "Duplicate in the file": "1",
        "Header": "1",
        "Will enroll": "2",
        "Will enroll at registration": "1",
    }
    conflict = page.locator("#result-rows tr[data-line='6']")
    assert "conflict with another customer" in conflict.inner_text() and "Globex" in conflict.inner_text()
    assert "Same address as line 3" in page.locator("#result-rows tr[data-line='7']").inner_text()
    assert "0 linked learners" in page.locator("#linked-learners h2").inner_text()
    page.screenshot(path=str(artifacts_dir / "manage-learners-preview.png"), full_page=True)

    page.click("input[value='Confirm: apply these changes']")
    page.wait_for_selector("h2:has-text('Result')")
    assert re.search(r"Done: 2 linked, 1 pending, .*2 enrolled, 1 enrolled at registration", page.content())

    # The lists show the new learners.
    linked = page.locator("#linked-learners")
    assert "2 linked learners" in linked.locator("h2").inner_text()
    assert {"ann", "bob"} <= set(linked.locator("tbody td:nth-child(2)").all_inner_texts())
    pending = page.locator("#pending-learners")
    assert "new.hire@example.com" in pending.inner_text()
    page.screenshot(path=str(artifacts_dir / "manage-learners.png"), full_page=True)
    page.fill("input[name=linked_q]", "ann")
    page.click("#linked-learners input[type=submit][value=Search]")
    page.wait_for_url(re.compile(r"linked_q=ann"))
    assert page.locator("#linked-learners tbody td:nth-child(2)").all_inner_texts() == ["ann"]


def test_template_preview_button_renders_the_unsaved_form(live_server, open_browser, artifacts_dir):
    StaffFactory(username="operator")
    template = EmailTemplateFactory(customer__name="Acme Corporation")
    login_url = live_server.url + reverse("admin:login")
    change_url = live_server.url + reverse(
        "admin:enterprise_enrollmentnotificationemailtemplate_change", args=[template.pk]
    )
    with open_browser() as page:
        page.goto(login_url)
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.goto(change_url)
        page.fill("#id_subject_line", "Welcome aboard, {user_name}")
        with page.expect_popup() as popup:
            page.click("button:has-text('Preview (course)')")
        preview = popup.value
        preview.wait_for_selector("#preview-subject")
        assert preview.locator("#preview-subject").inner_text() == "Welcome aboard, Ada Lovelace"
        html_body = preview.frame_locator("#preview-html").locator("body").inner_text()
        assert "Analytical Engines: An Introduction" in html_body
        preview.screenshot(path=str(artifacts_dir / "email-template-preview.png"), full_page=True)
        assert page.locator("button:has-text('Preview (program)')").count() == 0  # a course template

    template.refresh_from_db()
    assert template.subject_line == "You are enrolled in {course_name}"  # previews save nothing


def test_unenroll_selected_learners_with_a_confirmation(live_server, open_browser, data, artifacts_dir):
    from enterprise.lms import get_enrollment_backend
    from enterprise.models import EnterpriseCourseEnrollment

    customer, course = data
    learners = [LearnerFactory(customer=customer, user__username=name) for name in ("carl", "dana")]
    get_enrollment_backend().enroll(user_ids=[lr.user_id for lr in learners], course_id=course.course_id, mode="audit")
    for learner in learners:
        EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=course.course_id, mode="audit")
    with open_browser() as page:
        page.goto(live_server.url + reverse("admin:login"))
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.goto(live_server.url + reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk]))
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        page.click("#linked-learners button.unenroll")  # nothing selected: refused in the page
        assert dialogs == ["Select at least one learner first."]
        page.check(f"#linked-learners input[name=user_id][value='{learners[0].user_id}']")
        page.fill("#linked-learners input[name=course_id]", course.course_id)
        page.screenshot(path=str(artifacts_dir / "manage-learners-unenroll.png"), full_page=True)
        page.click("#linked-learners button.unenroll")
        page.wait_for_selector(".messagelist")
        assert "1 unenrolled" in page.locator(".messagelist").inner_text()
        assert "Unenroll the selected learners" in dialogs[-1]

    states = dict(EnterpriseCourseEnrollment.objects.values_list("learner__user__username", "unenrolled_at"))
    assert states["carl"] is not None and states["dana"] is None
    assert not LmsEnrollment.objects.get(user__username="carl").is_active
