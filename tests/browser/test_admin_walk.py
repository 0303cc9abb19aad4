"""A walk through the admin pages non-technical staff use, at 1366 x 768, as issue 23's browser walk did.

Every page must load without a console error, ask nothing of another host, keep its content
area free of horizontal overflow, and show every filled input whole (no value wider than its
box). A screenshot of each page is kept under ``$BROWSER_ARTIFACTS_DIR`` (``var/browser/``).
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EmailTemplateFactory,
    LearnerFactory,
    PendingLearnerFactory,
    ProgramFactory,
    StaffFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1366, "height": 768}

# What a page must not do, measured in the page: elements of the content area wider than it,
# and text inputs whose value does not fit in them.
PROBLEMS_JS = """
() => {
  const problems = [];
  // The main column (the admin's #content-main; its side column is meant to sit beside it).
  const area = document.querySelector('#content-main') || document.querySelector('#content') || document.body;
  if (area.scrollWidth > area.clientWidth + 1) {
    problems.push(`content area overflows: ${area.scrollWidth}px in ${area.clientWidth}px`);
  }
  // Change-list tables scroll inside their box: columns cut off all the same.
  document.querySelectorAll('#content-main .results, #content-main .module').forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      const right = box.getBoundingClientRect().right;
      const wide = Array.from(box.querySelectorAll('*'))
        .filter((el) => el.getBoundingClientRect().right > right + 1)
        .slice(0, 3).map((el) => el.tagName + '.' + el.className + '#' + el.id);
      const name = box.id || box.className;
      problems.push(`${name} scrolls sideways: ${box.scrollWidth}px in ${box.clientWidth}px (${wide})`);
    }
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px in ${window.innerWidth}px`);
  }
  const texts = 'input:not([type]), input[type=text], input[type=search], input[type=email], input[type=url]';
  document.querySelectorAll(texts).forEach((input) => {
    const box = input.getBoundingClientRect();
    if (!input.value || box.width === 0) return;
    if (input.scrollWidth > input.clientWidth + 1) {
      problems.push(`input ${input.name || input.id} is narrower than its value ${JSON.stringify(input.value)}`);
    }
  });
  return problems;
}
"""


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    StaffFactory(username="operator")
    customer = CustomerFactory(name="Acme Corporation", slug="acme")
    onboarding = CourseFactory(
        course_id="course-v1:AcmeUniversityX+Onboarding-Essentials-For-New-Hires+2027_Spring",
        title="Onboarding Essentials for New Hires",
        modes=["audit", "verified"],
        start=timezone.now() - datetime.timedelta(days=30),
    )
    CourseFactory(course_id="course-v1:Acme+SEC101+2027", title="Security Basics", modes=["audit"])
    program = ProgramFactory(title="Leadership Track", courses=[onboarding])
    learners = [
        LearnerFactory(
            customer=customer,
            user__username=f"learner.{i:04d}",
            user__email=f"learner.{i:04d}@acme-corporation-international.example.com",
            user__first_name="Karin",
            user__last_name="Schmidt-Oberhausen" if i % 3 == 0 else "Lee",
        )
        for i in range(30)
    ]
    for learner in learners[:5]:
        EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=onboarding.course_id, mode="audit")
    for i in range(30):
        PendingLearnerFactory(
            customer=customer, user_email=f"new.hire.{i:04d}@acme-corporation-international.example.com"
        )
    course_template = EmailTemplateFactory(customer=customer, template_type="course")
    program_template = EmailTemplateFactory(
        customer=customer,
        template_type="program",
        subject_line="{program_name}",
        plaintext_template="Hello {user_name}: {program_name} {enrollment_url}",
        html_template="",
    )
    return customer, onboarding, program, course_template, program_template


def _run_with_errors(customer):
    from integrated_channels.integrated_channel.models import Run, RunError
    from tests.integrated_channels.factories import TestChannelConfigurationFactory

    config = TestChannelConfigurationFactory(customer=customer, name="Acme learning platform, production")
    started = timezone.now() - datetime.timedelta(hours=1)
    run = Run.objects.create(
        configuration=config,
        customer=customer,
        channel=config.channel,
        connection_name=config.name,
        kind="learner_data",
        status=Run.Status.COMPLETED_WITH_ERRORS,
        started_at=started,
        heartbeat_at=started,
        finished_at=started + datetime.timedelta(minutes=3),
        selected=1200,
        sent=1000,
        skipped=190,
        failed=10,
        skip_reasons={"unchanged": 150, "no_consent": 40},
        full_selection_reason="no_successful_run",
    )
    RunError.objects.bulk_create(
        RunError(
            run=run,
            outcome=RunError.Outcome.FAILED,
            username=f"learner.{i:04d}",
            course_id="course-v1:AcmeUniversityX+Onboarding-Essentials-For-New-Hires+2027_Spring",
            status_code=400,
            message="The remote system refused the completion: the learner is not registered in the course. " * 3,
        )
        for i in range(10)
    )
    return run


class Walk:
    """Records what the browser saw on every page: console errors, requests to other hosts."""

    def __init__(self, page, base_url, artifacts_dir):
        self.page, self.base, self.artifacts = page, urlsplit(base_url), artifacts_dir
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.problems: dict[str, list[str]] = {}
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(f"{page.url}: {msg.text}"))
        page.on("pageerror", lambda exc: self.console_errors.append(f"{page.url}: {exc}"))
        page.on("request", self._request)

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if (parts.hostname, parts.port) != (self.base.hostname, self.base.port):
            self.foreign_requests.append(request.url)

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.problems[name] = self.page.evaluate(PROBLEMS_JS)
        self.page.screenshot(path=str(self.artifacts / f"walk-{name}.png"), full_page=True)

    def visit(self, name: str, url: str) -> None:
        self.page.goto(url)
        self.check(name)


def test_walk_the_admin_at_1366_pixels(live_server, open_browser, world, artifacts_dir):
    customer, onboarding, program, course_template, program_template = world
    url = live_server.url
    manage = url + reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    run = _run_with_errors(customer)  # before the browser: its event loop forbids the ORM
    with open_browser(viewport=VIEWPORT) as page:
        walk = Walk(page, url, artifacts_dir)
        page.goto(url + reverse("admin:login"))
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        walk.check("index")
        walk.visit("customer", url + reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk]))
        page.click("text=Manage Learners")
        page.wait_for_selector("h1:has-text('Manage Learners: Acme Corporation')")
        walk.check("manage-learners")

        # The course picker: part of a title, then the suggestion; the modes follow; the key fits.
        page.fill("#id_course_id", "essentials")
        page.wait_for_function("() => document.querySelectorAll('#course-choices option').length === 1")
        assert page.locator("#course-choices option").get_attribute("value") == onboarding.course_id
        page.wait_for_selector("#course-mode-status:has-text('1 course matches')")
        page.fill("#id_course_id", onboarding.course_id)
        page.wait_for_selector("#course-mode-status:has-text('Modes of Onboarding Essentials for New Hires')")
        assert page.locator("#id_program_id").is_disabled()
        walk.check("manage-learners-course-chosen")
        page.fill("#id_course_id", "")
        page.fill("#id_program_id", "leader")
        page.wait_for_function("() => document.querySelectorAll('#program-choices option').length === 1")
        page.fill("#id_program_id", str(program.program_id))
        walk.check("manage-learners-program-chosen")

        # A refused submission: the entries stay, the page says to choose the file again.
        page.fill(
            "#id_email_or_username", "someone.with.a.rather.long.address@acme-corporation-international.example.com"
        )
        page.set_input_files(
            "#id_bulk_upload_csv", files=[{"name": "team.csv", "mimeType": "text/csv", "buffer": b"a@example.com\n"}]
        )
        page.click("#link-submit")
        page.wait_for_selector("#choose-file-again:has-text('team.csv')")
        assert page.input_value("#id_program_id") == str(program.program_id)
        walk.check("manage-learners-error")

        # A preview of a CSV: Confirm and Cancel side by side, of the same height.
        page.goto(manage)
        page.set_input_files(
            "#id_bulk_upload_csv",
            files=[
                {"name": "team.csv", "mimeType": "text/csv", "buffer": b"Email\nann@example.com\nbob@example.com\n"}
            ],
        )
        page.click("#link-submit")
        page.wait_for_selector("#submission-result")
        walk.check("manage-learners-preview")
        confirm = page.locator("#confirm-form input[type=submit]").bounding_box()
        cancel = page.locator("#confirm-form a.cancel-link").bounding_box()
        assert abs(confirm["y"] - cancel["y"]) <= 2 and abs(confirm["height"] - cancel["height"]) <= 2
        assert 0 < cancel["x"] - (confirm["x"] + confirm["width"]) <= 24  # beside it, not across the page
        link, unenroll = (page.locator(f"#{name}-submit").bounding_box() for name in ("link", "unenroll"))
        assert link["y"] == unenroll["y"] and link["height"] == unenroll["height"] >= 32

        # Lists: search by a domain and a name, page numbers, the last page.
        page.goto(manage + "?linked_q=Schmidt#linked-learners")
        assert "10 linked learners" in page.locator("#linked-learners h2").inner_text()
        walk.check("manage-learners-search")
        page.goto(manage)
        assert "Page 1 of 2" in page.locator("#linked-learners .page-position").inner_text()
        page.click("#linked-learners a.oldest")
        page.wait_for_selector("#linked-learners .page-position:has-text('Page 2 of 2')")
        walk.check("manage-learners-last-page")

        changelists = {
            "learners": ("admin:enterprise_enterprisecustomeruser_changelist", "acme-corporation"),
            "pending-learners": ("admin:enterprise_pendingenterprisecustomeruser_changelist", "new.hire"),
            "enrollments": ("admin:enterprise_enterprisecourseenrollment_changelist", "learner.0001"),
        }
        for name, (route, term) in changelists.items():
            walk.visit(name, f"{url}{reverse(route)}?q={term}")
            assert not re.search(r"\b0 results", page.content()), name
        for name, template in (("course-template", course_template), ("program-template", program_template)):
            walk.visit(
                name, url + reverse("admin:enterprise_enrollmentnotificationemailtemplate_change", args=[template.pk])
            )
            buttons = page.locator(".object-tools button.preview-button").all_inner_texts()
            assert [b.lower() for b in buttons] == [f"preview ({template.template_type})"], buttons

        # Channel runs: the list fits (combined columns), a run's page words its reasons, its errors a table.
        walk.visit("channel-runs", url + reverse("admin:integrated_channel_run_changelist"))
        walk.visit("channel-run", url + reverse("admin:integrated_channel_run_change", args=[run.pk]))
        assert "Already sent and unchanged since." in page.content()
        message = page.locator("table.run-first-errors td.run-error-message").first.bounding_box()
        assert message["width"] >= 250  # legible: not squeezed into a sliver

        walk.visit("api-docs", url + "/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title")
        walk.check("api-docs")
        assert "DESIGN" not in page.content()
        assert page.goto(url + "/favicon.ico").status == 200

    assert walk.console_errors == []
    assert walk.foreign_requests == []
    assert {name: problems for name, problems in walk.problems.items() if problems} == {}
    assert re.search(r"walk-manage-learners\.png", " ".join(p.name for p in artifacts_dir.iterdir()))
