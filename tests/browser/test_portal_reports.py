"""The portal's Reports dashboard in a real browser at 1024 px: charts, the filter form by keyboard,
a CSV download; another customer's administrator gets 404 on its URLs."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment
from enterprise.portal.reports import refresh_reports
from integrated_channels.integrated_channel.models import Run
from tests.browser.portal_sign_in import sign_in, two_customers
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    LearnerFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}


@pytest.fixture
def data():
    acme, globex = two_customers()  # administrators "ada" and "gus"
    course = CourseFactory(course_id="course-v1:Acme+PY+2026", title="Python for analysts")
    today = timezone.now()
    for i, department in enumerate(["Sales", "Sales", "Engineering"]):
        learner = LearnerFactory(customer=acme, attributes={"department": department})
        enrollment = EnrollmentFactory(learner=learner, course_id=course.course_id)
        EnterpriseCourseEnrollment.objects.filter(pk=enrollment.pk).update(created=today - datetime.timedelta(days=i))
        if i != 1:
            CertificateFactory(user=learner.user, course=course, issued_at=today)
    LearnerFactory(customer=globex, attributes={"department": "Globex research"})
    Run.objects.create(
        customer=acme,
        channel="TEST",
        started_at=today,
        heartbeat_at=today,
        finished_at=today,
        status=Run.Status.COMPLETED_WITH_ERRORS,
        selected=5,
        sent=4,
        failed=1,
    )
    refresh_reports(acme)
    return acme, globex


def test_a_customer_administrator_reads_the_dashboard(live_server, open_browser, data, artifacts_dir):
    acme, _globex = data
    target = reverse("enterprise_portal:reports", kwargs={"customer_uuid": acme.uuid})
    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "ada", target)
        page.wait_for_url("**/reports/")
        assert page.get_by_role("heading", level=1).inner_text() == "Reports of Acme Corporation"
        assert page.locator("svg.report-chart").count() == 4
        for name in (
            "Enrollments and completions per week",
            "Completion rate per course",
            "Learners by Department",
            "Channel deliveries and failures per week",
        ):
            assert page.get_by_role("img", name=name).is_visible(), name
        assert "Python for analysts: 66.7 % of 3" in page.locator("#report-courses svg").inner_html()
        assert "Globex" not in page.content()
        page.screenshot(path=str(artifacts_dir / "portal-reports-1024.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        # the filters by keyboard: a shorter period switches to days
        page.get_by_label("From").focus()
        start = (timezone.localdate() - datetime.timedelta(days=6)).isoformat()
        page.get_by_label("From").fill(start)
        page.get_by_label("To").press("Enter")
        page.get_by_role("heading", name="Enrollments and completions per day").wait_for()
        assert "Delivered: 4" in page.locator("#report-deliveries").inner_text()
        with page.expect_download() as download:
            page.locator("#export-learners").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert text.splitlines() == ["department,learners", "Sales,2", "Engineering,1"]
    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "gus", target)
        page.wait_for_load_state()
        assert page.goto(live_server.url + target).status == 404
        export = reverse("enterprise_portal:reports_export", kwargs={"customer_uuid": acme.uuid, "name": "courses"})
        assert page.goto(live_server.url + export).status == 404
        assert "Python for analysts" not in page.content()
