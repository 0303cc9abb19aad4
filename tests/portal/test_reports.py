"""The portal's Reports dashboard: figures, filters, CSV exports, refresh, scope and query counts."""

import csv
import datetime
import io
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerAdmin,
    LearnerField,
    ReportDay,
    ReportRefresh,
)
from enterprise.portal import reports
from integrated_channels.integrated_channel.models import Run
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    LearnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """The default period ends on TODAY (the last 90 days)."""
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: _localdate(value))


def _localdate(value):
    if value is None:
        return TODAY
    return value.astimezone(datetime.UTC).date()


def at(day: datetime.date, hour=12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def administrator(customer, username):
    user = UserFactory(username=username)
    EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    return user


@pytest.fixture
def admin_client(client, acme):
    client.force_login(administrator(acme, "ada"))
    return client


def url(customer, view="reports", **kwargs):
    return reverse(f"enterprise_portal:{view}", kwargs={"customer_uuid": customer.uuid, **kwargs})


def enroll(customer, course, *, day, department=None, completed_on=None):
    learner = LearnerFactory(customer=customer, attributes={"department": department} if department is not None else {})
    enrollment = EnrollmentFactory(learner=learner, course_id=course.course_id)
    EnterpriseCourseEnrollment.objects.filter(pk=enrollment.pk).update(created=at(day))
    if completed_on is not None:
        CertificateFactory(user=learner.user, course=course, issued_at=at(completed_on))
    return learner


def run(customer, day, *, sent, failed, dry_run=False):
    moment = at(day, 9)
    return Run.objects.create(
        customer=customer,
        channel="TEST",
        started_at=moment,
        heartbeat_at=moment,
        finished_at=moment,
        status=Run.Status.COMPLETED,
        selected=sent + failed,
        sent=sent,
        failed=failed,
        dry_run=dry_run,
    )


@pytest.fixture
def acme_data(acme, globex):
    python = CourseFactory(course_id="course-v1:Acme+PY+2026", title="Python")
    sql = CourseFactory(course_id="course-v1:Acme+SQL+2026", title="=SQL basics")  # a formula-like title
    d1, d2 = datetime.date(2026, 6, 1), datetime.date(2026, 6, 20)
    enroll(acme, python, day=d1, department="Sales", completed_on=d2)
    enroll(acme, python, day=d1, department="Sales")
    enroll(acme, python, day=d2, department="Engineering", completed_on=d2)
    enroll(acme, sql, day=d2, department="Sales")
    enroll(acme, sql, day=datetime.date(2025, 1, 5), department="")  # before the default period; an empty value
    LearnerFactory(customer=acme, attributes={})  # no value: "not set" with the empty one
    enroll(globex, python, day=d1, department="Globex secret", completed_on=d1)  # another customer
    run(acme, d2, sent=7, failed=2)
    run(acme, d2, sent=3, failed=0)
    run(acme, d1, sent=100, failed=100, dry_run=True)  # sends nothing: left out
    run(globex, d2, sent=50, failed=50)
    reports.refresh_reports(acme, now=at(TODAY))
    reports.refresh_reports(globex, now=at(TODAY))
    return {"python": python, "sql": sql, "d1": d1, "d2": d2}


# -- figures ---------------------------------------------------------------------------------------


def test_refresh_rolls_enrollments_and_completions_up_per_day_and_course(acme, acme_data):
    rows = {
        (r.day, r.course_id): (r.enrolled, r.enrolled_completed, r.completed)
        for r in ReportDay.objects.filter(customer=acme)
    }
    py, d1, d2 = acme_data["python"].course_id, acme_data["d1"], acme_data["d2"]
    assert rows[(d1, py)] == (2, 1, 0)  # two enrolled on d1, one of them complete (on d2)
    assert rows[(d2, py)] == (1, 1, 2)  # completions dated d2: both
    assert rows[(d2, acme_data["sql"].course_id)] == (1, 0, 0)
    assert ReportRefresh.objects.get(customer=acme).enrollments == 5


def test_refresh_leaves_out_unlinked_learners_and_counts_unknown_courses_as_skipped(acme):
    course = CourseFactory()
    enroll(acme, course, day=TODAY, completed_on=TODAY).unlink()
    learner = LearnerFactory(customer=acme)
    EnrollmentFactory(learner=learner, course_id="course-v1:Gone+X+2020")
    refresh = reports.refresh_reports(acme, now=at(TODAY))
    assert (refresh.enrollments, refresh.skipped) == (1, 1)
    assert list(ReportDay.objects.filter(customer=acme).values_list("course_id", "enrolled", "completed")) == [
        ("course-v1:Gone+X+2020", 1, 0)
    ]


def test_refresh_applies_the_completion_rules_of_the_channels(acme):
    """Self-paced without end: complete once passed (a grade's passed_at), not by a certificate."""
    course = CourseFactory(pacing="self")
    learner = enroll(acme, course, day=TODAY)
    GradeFactory(user=learner.user, course=course, passed_at=at(TODAY))
    reports.refresh_reports(acme, now=at(TODAY, 18))
    assert ReportDay.objects.get(customer=acme).completed == 1


def test_refresh_queries_grow_by_chunk_not_by_enrollment(acme, monkeypatch):
    course = CourseFactory()
    monkeypatch.setattr(reports, "CHUNK", 2)

    def count(n):
        for i in range(n):
            enroll(acme, course, day=TODAY, completed_on=TODAY if i % 2 else None)
        with CaptureQueriesContext(connection) as queries:
            reports.refresh_reports(acme, now=at(TODAY, 18))
        return len(queries)

    # group-by; per chunk: its enrollments, their certificates; the empty last chunk; the catalog
    # (course, modes); the learner fields and a group-by of the learners per grouping field (4
    # built-in); the replacement: delete, insert of the days and of the field counts, refresh row
    # (select, insert) in savepoints
    assert count(6) == 1 + 3 * 2 + 1 + 2 + 5 + 12
    assert count(2) == 1 + 4 * 2 + 1 + 2 + 5 + 10  # 8 enrollments: one chunk more; the refresh row updated
    assert ReportDay.objects.get(customer=acme).completed == 4


def test_period_granularity_and_buckets():
    short = reports.Period(datetime.date(2026, 6, 1), datetime.date(2026, 6, 3))
    assert short.granularity == "day" and short.buckets() == [datetime.date(2026, 6, d) for d in (1, 2, 3)]
    year = reports.Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 20) + datetime.timedelta(days=300))
    assert year.granularity == "week" and year.buckets()[0] == datetime.date(2025, 12, 29)  # its Monday
    long = reports.Period(datetime.date(2023, 5, 17), datetime.date(2026, 2, 1))
    assert long.granularity == "month"
    assert long.buckets()[:2] == [datetime.date(2023, 5, 1), datetime.date(2023, 6, 1)]
    assert long.buckets()[-1] == datetime.date(2026, 2, 1)


def test_timeline_course_rates_learners_and_deliveries(acme, acme_data):
    period = reports.Period(acme_data["d1"], acme_data["d2"])
    points = {p.bucket: (p.enrolled, p.completed) for p in reports.timeline(acme, period)}
    assert len(points) == 20 and points[acme_data["d1"]] == (2, 0) and points[acme_data["d2"]] == (2, 2)
    assert sum(e for e, _c in points.values()) == 4
    rates = reports.course_rates(acme, period)
    assert [(r.title, r.enrolled, r.completed) for r in rates] == [("Python", 3, 2), ("=SQL basics", 1, 0)]
    groups = [(g.value, g.learners) for g in reports.learners_by_field(acme, "department")]
    assert groups == [("Sales", 3), ("", 2), ("Engineering", 1)]  # an empty value and none: one "not set"
    with CaptureQueriesContext(connection) as queries:
        folded = reports.learners_by_field(acme, "department", limit=1)
    assert [(g.value, g.learners, g.other) for g in folded] == [("Sales", 3, False), ("", 3, True)]
    assert len(queries) == 2  # the top groups, then the count of every learner
    sent = {d.bucket: (d.sent, d.failed) for d in reports.deliveries(acme, period)}
    assert sent[acme_data["d2"]] == (10, 2) and sent[acme_data["d1"]] == (0, 0)


def test_refresh_counts_learners_by_every_grouping_field(acme, globex, acme_data):
    stored = reports.stored_learners_by_field(acme, "department")
    live = reports.learners_by_field(acme, "department")
    assert [(g.value, g.learners) for g in stored] == [(g.value, g.learners) for g in live]
    assert [(g.value, g.learners) for g in reports.stored_learners_by_field(acme, "job_title")] == [("", 6)]
    with CaptureQueriesContext(connection) as queries:
        folded = reports.stored_learners_by_field(acme, "department", limit=1)
    assert [(g.value, g.learners, g.other) for g in folded] == [("Sales", 3, False), ("", 3, True)]
    assert len(queries) == 2  # the top rows, then the sum of them all
    assert reports.stored_learners_by_field(acme, "cost_centre") is None  # not counted: the page goes live
    LearnerField.objects.create(customer=acme, key="cost_centre", label="Cost centre")
    LearnerFactory(customer=acme, attributes={"cost_centre": "CC-1"})
    reports.refresh_reports(acme, now=at(TODAY, 14))
    assert [(g.value, g.learners) for g in reports.stored_learners_by_field(acme, "cost_centre")] == [
        ("", 6),
        ("CC-1", 1),
    ]
    assert [(g.value, g.learners) for g in reports.stored_learners_by_field(globex, "department")] == [
        ("Globex secret", 1)
    ]  # each customer's own


# -- the page --------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_customers_figures_only(admin_client, acme, acme_data):
    response = admin_client.get(url(acme))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reports of Acme Corp" in page
    again = admin_client.get(url(acme))  # the rolled-up figures from the cache: the same
    assert (again.context["totals"], again.context["rates"]) == (response.context["totals"], response.context["rates"])
    assert response.context["totals"] == {"enrolled": 4, "completed": 2, "sent": 10, "failed": 2, "learners": 6}
    assert "Globex secret" not in page
    assert page.count("<svg") == 4
    assert "Python: 66.7 % of 3" in page  # the course bar's title
    assert 'aria-current="page">Reports' in page


def test_the_date_range_and_field_filters(admin_client, acme, acme_data):
    LearnerField.objects.create(customer=acme, key="region", label="Region")
    response = admin_client.get(url(acme), {"start": "2025-01-01", "end": "2025-01-31", "field": "region"})
    assert response.status_code == 200
    assert response.context["totals"]["enrolled"] == 1
    assert response.context["field_label"] == "Region"
    choices = [key for key, _label in response.context["form"].fields["field"].choices]
    assert "region" in choices and "department" in choices and "email" not in choices


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-06-10", "end": "2026-06-01"}, "end", "must not be before"),
        ({"start": "2000-01-01", "end": "2026-06-01"}, "start", "at most"),
        ({"start": "yesterday"}, "start", "valid date"),
        ({"field": "email"}, "field", "valid choice"),
    ],
)
def test_bad_filters_name_the_field(admin_client, acme, params, field, message):
    response = admin_client.get(url(acme), params)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    export = admin_client.get(url(acme, "reports_export", name="courses"), params)
    assert export.status_code == 400 and f"{field}:" in export.content.decode()


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_exports_of_each_chart(admin_client, acme, acme_data):
    params = {"start": "2026-06-01", "end": "2026-06-20", "field": "department"}
    enrollments = _csv(admin_client.get(url(acme, "reports_export", name="enrollments"), params))
    assert enrollments[0] == ["day", "enrollments", "completions"] and len(enrollments) == 21
    assert ["2026-06-20", "2", "2"] in enrollments
    courses = _csv(admin_client.get(url(acme, "reports_export", name="courses"), params))
    assert courses[1:] == [
        ["course-v1:Acme+PY+2026", "Python", "3", "2", "0.6667"],
        ["course-v1:Acme+SQL+2026", "'=SQL basics", "1", "0", "0.0000"],  # escaped: no formula
    ]
    learners = _csv(admin_client.get(url(acme, "reports_export", name="learners"), params))
    assert learners == [["department", "learners"], ["Sales", "3"], ["", "2"], ["Engineering", "1"]]
    deliveries = _csv(admin_client.get(url(acme, "reports_export", name="deliveries"), params))
    assert ["2026-06-20", "10", "2"] in deliveries
    assert admin_client.get(url(acme, "reports_export", name="secrets")).status_code == 404


def test_refresh_from_the_page_then_not_again_within_five_minutes(admin_client, acme):
    course = CourseFactory()
    enroll(acme, course, day=TODAY, completed_on=TODAY)
    response = admin_client.post(url(acme, "reports_refresh"), {"start": "2026-06-01", "field": "department"})
    assert response.status_code == 302
    assert response["Location"] == url(acme) + "?start=2026-06-01&field=department"
    assert ReportDay.objects.get(customer=acme).completed == 1  # no broker: the task ran at once
    ReportDay.objects.all().delete()
    admin_client.post(url(acme, "reports_refresh"))
    assert not ReportDay.objects.exists()  # refused: refreshed a moment ago
    page = admin_client.get(url(acme)).content.decode()
    assert "less than 5 minutes ago" in page


def test_refresh_needs_post_and_the_csrf_token(acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator(acme, "ada"))
    assert client.get(url(acme, "reports_refresh")).status_code == 405
    assert client.post(url(acme, "reports_refresh")).status_code == 403
    assert not ReportRefresh.objects.exists()
    page = client.get(url(acme)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.split('id="refresh-form"')[1]


def test_another_customers_administrator_gets_404_on_every_reports_url(client, acme, globex, acme_data):
    client.force_login(administrator(globex, "gus"))
    targets = [url(acme), *(url(acme, "reports_export", name=n) for n in ("enrollments", "courses", "learners"))]
    targets.append(url(acme, "reports_export", name="deliveries"))
    for target in targets:
        assert client.get(target).status_code == 404, target
    assert client.post(url(acme, "reports_refresh")).status_code == 404
    missing = reverse("enterprise_portal:reports", kwargs={"customer_uuid": uuid.uuid4()})
    assert client.get(missing).status_code == 404
    assert client.get(url(globex)).status_code == 200


def test_anonymous_and_non_administrators(client, acme):
    response = client.get(url(acme))
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.post(url(acme, "reports_refresh")).status_code == 302
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(url(acme)).status_code == 403
    assert client.get(url(acme, "reports_export", name="courses")).status_code == 403


def test_learners_by_field_on_the_dashboard_are_those_of_the_last_refresh(admin_client, acme):
    LearnerFactory(customer=acme, attributes={"department": "Sales"})
    reports.refresh_reports(acme, now=at(TODAY))
    response = admin_client.get(url(acme))
    assert response.context["totals"]["learners"] == 1
    assert response.context["learners_as_of"] == at(TODAY)
    assert "1 linked learner at 2026-06-30 12:00" in response.content.decode()
    LearnerFactory(customer=acme, attributes={"department": "Sales"})
    assert admin_client.get(url(acme)).context["totals"]["learners"] == 1  # until the next refresh
    learners = _csv(admin_client.get(url(acme, "reports_export", name="learners")))
    assert learners[1:] == [["Sales", "2"]]  # the CSV is live
    reports.refresh_reports(acme, now=at(TODAY, 13))
    assert admin_client.get(url(acme)).context["totals"]["learners"] == 2
    LearnerField.objects.create(customer=acme, key="cost_centre", label="Cost centre")  # not counted yet
    response = admin_client.get(url(acme), {"field": "cost_centre"})
    assert response.context["learners_as_of"] is None and response.context["totals"]["learners"] == 2  # live


def test_learners_by_field_before_a_refresh_are_at_most_a_minute_old(admin_client, acme, monkeypatch):
    from django.core.cache import cache

    LearnerFactory(customer=acme, attributes={"department": "Sales"})
    assert admin_client.get(url(acme)).context["totals"]["learners"] == 1
    LearnerFactory(customer=acme, attributes={"department": "Sales"})
    assert admin_client.get(url(acme)).context["totals"]["learners"] == 1  # cached
    learners = _csv(admin_client.get(url(acme, "reports_export", name="learners")))
    assert learners[1:] == [["Sales", "2"]]  # the CSV is live
    cache.delete(f"enterprise-portal-learners-by:{acme.pk}:department")  # as when the minute is over
    assert admin_client.get(url(acme)).context["totals"]["learners"] == 2


def test_dashboard_queries_do_not_grow_with_the_data(admin_client, acme):
    from django.core.cache import cache

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(acme), {"start": "2026-01-01", "end": "2026-06-30"}).status_code == 200
        return len(queries)

    empty = count()
    for i in range(8):
        course = CourseFactory()
        enroll(acme, course, day=TODAY - datetime.timedelta(days=i * 9), department=f"D{i % 3}", completed_on=TODAY)
        run(acme, TODAY - datetime.timedelta(days=i), sent=i, failed=1)
    reports.refresh_reports(acme, now=at(TODAY))
    cache.clear()  # the learners by field of the empty customer are cached for a minute
    # session, user, customers, fields, refresh, timeline, courses, learners, deliveries; then the
    # catalog's titles of the courses shown (the local catalog: courses, modes), only when there are some
    assert (empty, count()) == (9, 11)
    # the same period again: the rolled-up figures (timeline, courses, titles) and the learners by
    # field (for a minute) come from the cache
    assert count() == 6
    # a new refresh: the rolled-up figures and the learners by field it counted are read again
    reports.refresh_reports(acme, now=at(TODAY, 13))
    assert count() == 11


def test_chart_text_is_escaped(admin_client, acme):
    LearnerFactory(customer=acme, attributes={"department": '<script>alert("x")</script>'})
    page = admin_client.get(url(acme)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;: 1" in page  # the bar's title


def test_the_management_command_refreshes_every_customer_or_those_named(acme, globex):
    from django.core.management import CommandError, call_command

    course = CourseFactory()
    enroll(acme, course, day=TODAY, completed_on=TODAY)
    out = io.StringIO()
    call_command("refresh_portal_reports", "--customer", "acme", stdout=out)
    assert out.getvalue() == "acme: 1 enrollments (0 in unknown courses)\n"
    assert not ReportRefresh.objects.filter(customer=globex).exists()
    call_command("refresh_portal_reports", stdout=io.StringIO())
    assert ReportRefresh.objects.filter(customer=globex).exists()
    with pytest.raises(CommandError, match="No customer with slug: nope"):
        call_command("refresh_portal_reports", "--customer", "nope")
