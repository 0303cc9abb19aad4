"""The portal in a real browser at 1366 px: a customer administrator signs in, links a CSV with a
preview, confirms, unlinks; enrolls a learner in a course picked from the catalog with the keyboard
and notifies them; checks the consent and channels page; another customer's administrator sees none
of it by any URL. axe-core checks every page (no serious or critical violation)."""

import pytest
from django.urls import reverse

from enterprise.models import (
    EnrollmentNotification,
    EnterpriseCourseEnrollment,
    EnterpriseCustomerAdmin,
    EnterpriseCustomerUser,
    PendingEnterpriseCustomerUser,
    PortalAction,
)
from tests.browser.accessibility import assert_accessible
from tests.browser.portal_sign_in import two_customers
from tests.factories import CourseFactory, EmailTemplateFactory, LearnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    acme, globex = two_customers()  # administrators "ada" and "gus"
    UserFactory(username="bob", email="bob@example.com")
    LearnerFactory(customer=globex, user__username="taken", user__email="taken@example.com")
    return acme, globex


def _sign_in(page, base, username):
    page.goto(base + reverse("enterprise_portal:index"))
    assert "/portal/login/" in page.url  # anonymous: to the sign-in page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/learners/")


def test_a_customer_administrator_links_a_csv_and_unlinks(live_server, open_browser, data, artifacts_dir, tmp_path):
    acme, globex = data
    csv = tmp_path / "learners.csv"
    csv.write_text("email\nbob@example.com\nnew.hire@example.com\ntaken@example.com\n")
    globex_url = live_server.url + reverse("enterprise_portal:learners", kwargs={"customer_uuid": globex.uuid})
    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "ada")
        assert page.get_by_role("heading", level=1).inner_text() == "Learners of Acme Corporation"
        assert_accessible(page, where="the Learners page")
        page.get_by_label("CSV file of e-mail addresses").set_input_files(str(csv))
        page.locator("#link-submit").click()
        page.get_by_role("heading", name="Preview: nothing has changed yet").wait_for()
        assert_accessible(page, where="the preview")
        first = page.locator("#result-rows tbody tr").first
        assert "taken@example.com" in first.inner_text() and "Belongs to another customer." in first.inner_text()
        assert "Globex" not in page.content()
        page.screenshot(path=str(artifacts_dir / "portal-preview-1366.png"), full_page=True)
        # the page fits the 1366 px window: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        page.get_by_role("button", name="Confirm: apply these changes").click()
        page.get_by_role("heading", name="Result").wait_for()
        assert "1 linked learner" in page.locator("#linked-title").inner_text()
        page.get_by_label("Select bob").check()
        page.get_by_role("button", name="Unlink selected learners").click()
        page.get_by_text("Unlinked 1 learner.").wait_for()
        # another customer's page, by its URL: not found
        response = page.goto(globex_url)
        assert response.status == 404
        assert "taken@example.com" not in page.content()
    assert PendingEnterpriseCustomerUser.objects.get(customer=acme).user_email == "new.hire@example.com"
    assert not EnterpriseCustomerUser.objects.get(customer=acme, user__username="bob").linked
    assert EnterpriseCustomerUser.objects.get(customer=globex).linked


def test_the_skip_link_is_the_first_keyboard_stop(live_server, open_browser, data):
    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "gus")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        assert "Globex" in page.get_by_role("heading", level=1).inner_text()
        assert "Acme" not in page.content()


COURSE = "course-v1:Acme+SAFE101+2027"


def test_a_customer_administrator_enrolls_and_notifies_with_the_keyboard(
    live_server, open_browser, data, artifacts_dir, mailoutbox
):
    acme, globex = data
    CourseFactory(course_id=COURSE, title="Workplace Safety", modes=["audit", "verified"])
    EmailTemplateFactory(customer=acme, subject_line="Acme: you are enrolled in {course_name}")
    bob = UserFactory(username="bob2", email="bob2@example.com", first_name="Bob", last_name="Stone")
    LearnerFactory(customer=acme, user=bob)
    globex_preview = live_server.url + reverse(
        "enterprise_portal:email_preview", kwargs={"customer_uuid": globex.uuid, "template_type": "course"}
    )
    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "ada")
        # the e-mail learners will get, before sending it
        page.get_by_role("link", name="preview the course e-mail").click()
        page.get_by_role("heading", level=1, name="The course enrollment e-mail").wait_for()
        assert "Acme: you are enrolled in Analytical Engines" in page.locator("#preview-subject").inner_text()
        assert_accessible(page, where="the e-mail preview")
        page.go_back()
        # the course picker: type part of the title, the catalog's suggestion arrives in the list
        page.get_by_label("E-mail address", exact=True).fill("bob2@example.com")
        course = page.get_by_label("Course ID", exact=True)
        course.click()
        page.keyboard.type("safety")
        page.wait_for_function("document.querySelectorAll('#course-choices option').length === 1")
        assert page.locator("#course-choices option").get_attribute("value") == COURSE
        assert "1 course matches" in page.locator("#course-mode-status").inner_text()
        # picking it (what choosing the suggestion does) loads its modes
        course.fill(COURSE)
        page.keyboard.press("Tab")
        page.wait_for_function(
            "document.getElementById('course-mode-status').textContent.startsWith('Modes of Workplace Safety')"
        )
        page.wait_for_load_state("networkidle")  # the picker's last suggestion and modes requests have answered
        assert page.locator("#id_program_id").is_disabled()  # a course or a program, not both
        mode = page.get_by_label("Course Enrollment Mode")
        assert mode.locator("option").all_inner_texts() == ["---------", "audit", "verified"]
        mode.focus()
        mode.select_option("verified")
        assert mode.input_value() == "verified"
        page.get_by_label("Notify learners by e-mail").focus()
        page.keyboard.press("Space")
        assert page.get_by_label("Notify learners by e-mail").is_checked()
        assert_accessible(page, where="the filled enrollment form")
        page.get_by_label("E-mail address", exact=True).focus()
        page.keyboard.press("Enter")  # the form's first button: Link learners
        page.locator(".messages, .errorlist, .errornote").first.wait_for()
        assert not page.locator(".errorlist, .errornote").count(), page.locator(
            ".errorlist, .errornote"
        ).all_inner_texts()
        message = page.locator(".messages").inner_text()
        assert message.startswith("Nothing to link: bob2@example.com is already a learner of Acme Corporation.")
        assert "1 enrolled" in message and "1 notified" in message, message
        page.screenshot(path=str(artifacts_dir / "portal-enrolled-1366.png"), full_page=True)
        # consent and channels, from the navigation
        page.get_by_role("link", name="Consent and channels").click()
        page.get_by_role("heading", level=1).wait_for()
        page.get_by_label("Learner's e-mail address").fill("bob2@example.com")
        page.get_by_role("button", name="Look up").click()
        page.locator("#learner-audits").wait_for()
        assert_accessible(page, where="the Consent and channels page")
        page.get_by_label("Ask learners for data-sharing consent").check()
        page.get_by_label("When learners are asked").select_option("at_login")
        page.get_by_role("button", name="Save consent settings").click()
        page.get_by_text("Data-sharing consent settings saved.").wait_for()
        # another customer's e-mail preview: not found
        assert page.goto(globex_preview).status == 404
    enrollment = EnterpriseCourseEnrollment.objects.get(learner__user=bob, course_id=COURSE)
    assert enrollment.mode == "verified"
    assert [m.subject for m in mailoutbox] == ["Acme: you are enrolled in Workplace Safety"]
    assert EnrollmentNotification.objects.get().status == EnrollmentNotification.Status.SENT
    acme.refresh_from_db()
    assert (acme.enable_data_sharing_consent, acme.enforce_data_sharing_consent) == (True, "at_login")
    assert list(PortalAction.objects.order_by("pk").values_list("action", flat=True)) == [
        "learners:link",
        "consent:settings",
    ]


def test_the_sign_in_page_is_accessible(live_server, open_browser, data):
    with open_browser(viewport=VIEWPORT) as page:
        page.goto(live_server.url + reverse("enterprise_portal:login"))
        assert_accessible(page, where="the sign-in page")


def test_the_learners_and_consent_pages_fit_1024_px(live_server, open_browser, data, artifacts_dir):
    acme, _globex = data
    LearnerFactory(customer=acme, user__email="a.very.long.address.of.a.learner@subsidiary.acme-corporation.example")
    consent = live_server.url + reverse("enterprise_portal:consent", kwargs={"customer_uuid": acme.uuid})
    with open_browser(viewport={"width": 1024, "height": 800}) as page:
        _sign_in(page, live_server.url, "ada")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        page.screenshot(path=str(artifacts_dir / "portal-learners-1024.png"), full_page=True)
        page.goto(consent)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        assert_accessible(page, where="the Consent and channels page at 1024 px")
        page.screenshot(path=str(artifacts_dir / "portal-consent-1024.png"), full_page=True)


def test_the_customer_chooser_is_accessible(live_server, open_browser, data):
    acme, globex = data
    EnterpriseCustomerAdmin.objects.create(
        customer=globex, user=EnterpriseCustomerAdmin.objects.get(customer=acme).user
    )
    with open_browser(viewport=VIEWPORT) as page:
        page.goto(live_server.url + reverse("enterprise_portal:login"))
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", level=1, name="Your customers").wait_for()
        assert page.get_by_role("link", name="Globex").is_visible()
        assert_accessible(page, where="the customer chooser")
