"""The figures of the portal's Reports dashboard, aggregated in SQL (decision 0385).

- Enrollments and completions over time, and the completion rate per course, sum the customer's
  ``ReportDay`` rows (one per day and course, a few thousand whatever the number of enrollments),
  grouped by day, week or month in the database. ``refresh_reports`` fills them: enrollments
  counted with one ``GROUP BY`` day and course, completions by the completion rules the channels
  use (``enterprise.lms.completion.completions_for``, at most two backend calls per chunk of
  10,000 enrollments), since the completion backend may be another service.
- Learners by a learner field: ``refresh_reports`` also counts the customer's linked learners by
  the value of every grouping field (one ``GROUP BY`` per field) into ``ReportFieldCount`` rows,
  which the dashboard reads (``stored_learners_by_field``: the top values through the
  ``(customer, key, -learners)`` index, decision 0450). Before a first refresh, or for a field
  added since, the dashboard groups the learners live (``learners_by_field``, kept a minute in the
  cache); the CSV export is always live.
- Channel deliveries and failures per day sum the customer's channel runs (``Run.sent`` and
  ``Run.failed``, dry runs left out) by the day they started, live.

Every function takes the customer the view resolved (``access.customer_of``): nothing here reads
another customer's rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, DateField, F, Sum, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import NullIf, Trunc, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprise.learner_fields import fields_of
from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import completions_for
from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerUser,
    ReportDay,
    ReportFieldCount,
    ReportRefresh,
)

CHUNK = 10_000  # enrollments read and completed per step of a refresh: memory stays flat
MAX_DAYS = 366 * 5  # the longest date range a dashboard shows
COURSES_SHOWN = 20  # courses in the completion-rate chart (the CSV has them all)
VALUES_SHOWN = 15  # values in the learners-by-field chart, then "Other" (the CSV has them all)
#: Built-in fields that identify a person rather than group people: not offered for grouping.
NOT_GROUPING = frozenset({"email", "first_name", "last_name", "employee_id", "manager", "sap_user_id", "hire_date"})
DEFAULT_FIELD = "department"


# -- refresh -----------------------------------------------------------------------------------


def refresh_reports(customer, *, now: datetime.datetime | None = None) -> ReportRefresh:
    """Recompute the customer's ``ReportDay`` rows from its linked learners' enrollments.

    Queries: one ``GROUP BY`` for the enrollments, one per ``CHUNK`` enrollments (plus the
    completion backend's calls, at most two per chunk, and one catalog call per chunk with unseen
    courses), the learner fields and one ``GROUP BY`` of the linked learners per grouping field,
    then the replacement in one transaction. An enrollment in a course the catalog no
    longer has counts as enrolled, never as completed, and is reported in ``skipped``.
    """
    now = now or timezone.now()
    enrollments = EnterpriseCourseEnrollment.objects.filter(learner__customer_id=customer.pk, learner__linked=True)
    enrolled = Counter(
        {
            (row["day"], row["course_id"]): row["n"]
            for row in enrollments.annotate(day=TruncDate("created"))
            .values("day", "course_id")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    catalog, backend = get_catalog(), get_completion_backend()
    courses: dict = {}
    completed: Counter = Counter()
    enrolled_completed: Counter = Counter()
    total = skipped = 0
    last = 0
    rows = enrollments.order_by("pk").values_list("pk", "learner__user_id", "course_id", "created")
    while chunk := list(rows.filter(pk__gt=last)[:CHUNK]):
        last = chunk[-1][0]
        total += len(chunk)
        missing = {row[2] for row in chunk} - courses.keys()
        if missing:
            found = catalog.get_courses(missing)
            courses.update({course_id: found.get(course_id) for course_id in missing})
        keys = [(row[1], row[2]) for row in chunk if courses[row[2]] is not None]
        skipped += len(chunk) - len(keys)
        known = {key[1]: courses[key[1]] for key in keys}
        completions = completions_for(keys, courses=known, backend=backend, now=now)
        for _pk, user_id, course_id, created in chunk:
            completion = completions.get((user_id, course_id))
            if completion is None or not completion.complete:
                continue
            enrolled_completed[(timezone.localdate(created), course_id)] += 1
            if completion.completed_at is not None:
                completed[(timezone.localdate(completion.completed_at), course_id)] += 1
    days = sorted(set(enrolled) | set(completed))
    by_field = {key: learners_by_field(customer, key, limit=None) for key, _label in grouping_fields(customer)}
    with transaction.atomic():
        ReportDay.objects.filter(customer_id=customer.pk).delete()
        ReportDay.objects.bulk_create(
            [
                ReportDay(
                    customer_id=customer.pk,
                    day=day,
                    course_id=course_id,
                    enrolled=enrolled[(day, course_id)],
                    enrolled_completed=enrolled_completed[(day, course_id)],
                    completed=completed[(day, course_id)],
                )
                for day, course_id in days
            ],
            batch_size=2_000,
        )
        ReportFieldCount.objects.filter(customer_id=customer.pk).delete()
        ReportFieldCount.objects.bulk_create(
            [
                ReportFieldCount(customer_id=customer.pk, key=key, value=count.value or None, learners=count.learners)
                for key, counts in by_field.items()
                for count in counts
            ],
            batch_size=2_000,
        )
        refresh, _created = ReportRefresh.objects.update_or_create(
            customer_id=customer.pk, defaults={"refreshed_at": now, "enrollments": total, "skipped": skipped}
        )
    return refresh


# -- the dashboard's figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included (the customer's time zone: the site's)."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def default(cls, today: datetime.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today - datetime.timedelta(days=89), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def granularity(self) -> str:
        """``day`` up to two months, ``week`` up to two years, then ``month``."""
        if self.days <= 62:
            return "day"
        return "week" if self.days <= 731 else "month"

    def buckets(self) -> list[datetime.date]:
        """The first day of every bucket of the period, in order (the first may start before ``start``)."""
        kind, day = self.granularity, self.start
        if kind == "week":
            day -= datetime.timedelta(days=day.weekday())
        elif kind == "month":
            day = day.replace(day=1)
        out = []
        while day <= self.end:
            out.append(day)
            if kind == "day":
                day += datetime.timedelta(days=1)
            elif kind == "week":
                day += datetime.timedelta(days=7)
            else:
                day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return out

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes ``[start 00:00, end + 1 day 00:00)``."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        return start, datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


@dataclass(frozen=True)
class TimelinePoint:
    bucket: datetime.date
    enrolled: int
    completed: int


def timeline(customer, period: Period) -> list[TimelinePoint]:
    """Enrollments made and completions per day, week or month of the period (every bucket, zeros included)."""
    rows = (
        ReportDay.objects.filter(customer_id=customer.pk, day__range=(period.start, period.end))
        .annotate(bucket=Trunc("day", period.granularity, output_field=DateField()))
        .values("bucket")
        .annotate(enrolled=Sum("enrolled"), completed=Sum("completed"))
        .order_by()
    )
    sums = {row["bucket"]: row for row in rows}
    return [
        TimelinePoint(day, sums[day]["enrolled"] if day in sums else 0, sums[day]["completed"] if day in sums else 0)
        for day in period.buckets()
    ]


@dataclass(frozen=True)
class CourseRate:
    course_id: str
    title: str
    enrolled: int
    completed: int

    @property
    def rate(self) -> float:
        return self.completed / self.enrolled if self.enrolled else 0.0


def course_rates(customer, period: Period, *, limit: int | None = COURSES_SHOWN) -> list[CourseRate]:
    """Per course, of the enrollments made in the period, how many are complete; most enrolled first.

    Titles come from the catalog (one call for the courses shown); a course it no longer has shows its id.
    """
    rows = (
        ReportDay.objects.filter(customer_id=customer.pk, day__range=(period.start, period.end))
        .values("course_id")
        .annotate(enrolled=Sum("enrolled"), completed=Sum("enrolled_completed"))
        .filter(enrolled__gt=0)
        .order_by("-enrolled", "course_id")
    )
    rows = list(rows[:limit] if limit else rows)
    titles = get_catalog().get_courses({row["course_id"] for row in rows}) if rows else {}
    return [
        CourseRate(
            row["course_id"],
            titles[row["course_id"]].title if row["course_id"] in titles else row["course_id"],
            row["enrolled"],
            row["completed"],
        )
        for row in rows
    ]


def grouping_fields(customer) -> list[tuple[str, str]]:
    """(key, label) of the learner fields the dashboard groups by: categories, not identities (one query)."""
    return [(field.key, field.label) for field in fields_of(customer) if field.key not in NOT_GROUPING]


@dataclass(frozen=True)
class FieldCount:
    value: str  # "" for learners without a value
    learners: int
    other: bool = False  # the sum of the values not shown


def learners_by_field(customer, key: str, *, limit: int | None = VALUES_SHOWN) -> list[FieldCount]:
    """The customer's linked learners by the value of the learner field ``key``, most frequent first.

    With ``limit``, the values beyond it are summed into one "other" entry: one query reading at most
    ``limit + 1`` groups, and a count of the learners only when there are more values than that.
    """
    learners = EnterpriseCustomerUser.objects.filter(customer_id=customer.pk, linked=True)
    counts = (
        learners.annotate(
            value=NullIf(KeyTextTransform(key, "attributes"), Value("", output_field=TextField()))
        )  # "" and missing: not set
        .values("value")
        .annotate(n=Count("pk"))
        .order_by("-n", F("value").asc(nulls_last=True))  # "not set" last among equals, on every database
    )
    out = [FieldCount(row["value"] or "", row["n"]) for row in (counts[: limit + 1] if limit else counts)]
    if limit and len(out) > limit:
        out = out[:limit]
        out.append(FieldCount("", learners.count() - sum(c.learners for c in out), other=True))
    return out


def stored_learners_by_field(customer, key: str, *, limit: int = VALUES_SHOWN) -> list[FieldCount] | None:
    """``learners_by_field`` as counted at the last refresh (``ReportFieldCount``), or None when the
    refresh did not count ``key`` (no refresh yet, a field added since). One query reading at most
    ``limit + 1`` rows through the ``(customer, key, -learners)`` index, and a sum only when there
    are more values than ``limit``."""
    rows = ReportFieldCount.objects.filter(customer_id=customer.pk, key=key)
    top = list(
        rows.order_by("-learners", F("value").asc(nulls_last=True)).values_list("value", "learners")[: limit + 1]
    )
    if not top:
        return None
    out = [FieldCount(value or "", learners) for value, learners in top[:limit]]
    if len(top) > limit:
        total = rows.aggregate(n=Sum("learners"))["n"] or 0
        out.append(FieldCount("", total - sum(c.learners for c in out), other=True))
    return out


@dataclass(frozen=True)
class DeliveryDay:
    bucket: datetime.date
    sent: int
    failed: int


def deliveries(customer, period: Period) -> list[DeliveryDay]:
    """Records the customer's channel runs delivered and failed, per day (week, month: ``Period.granularity``)
    they started, every bucket of the period included. Dry runs send nothing and are left out."""
    from integrated_channels.integrated_channel.models import Run

    start, end = period.bounds()
    rows = (
        Run.objects.filter(customer_id=customer.pk, started_at__gte=start, started_at__lt=end, dry_run=False)
        .annotate(bucket=Trunc("started_at", period.granularity, output_field=DateField()))
        .values("bucket")
        .annotate(sent=Sum("sent"), failed=Sum("failed"))
        .order_by()
    )
    sums = {row["bucket"]: row for row in rows}
    return [
        DeliveryDay(day, sums[day]["sent"] if day in sums else 0, sums[day]["failed"] if day in sums else 0)
        for day in period.buckets()
    ]


def field_label(value: str, other: bool = False) -> str:
    if other:
        return _("Other values")
    return value or _("(not set)")
