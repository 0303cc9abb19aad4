"""Report rows of one customer, shared by the report connectors (Power BI, Marketo, Salesforce).

Every report selects set-based (a bounded number of queries whatever the number of learners) the
rows of a window ``(since, until]``, in keyset chunks of 10,000 enrollments (memory stays flat),
ordered by a key, so an export resumed after an interruption can skip exactly the rows the remote
already has (``after``). Rows use the column names of docs/connectors/powerbi-tables.md; each
connector maps them to its remote's fields.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Count, Func, Max, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from enterprise.exceptions import LMSError
from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import (
    FAIL,
    IN_PROGRESS,
    PASS,
    READS_CERTIFICATE,
    READS_GRADE,
    READS_GRADE_ENDED,
    completions_for,
    rules_of,
)
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from enterprise.services.feedback import feedback_by_course
from enterprise.services.prices import prices_for


class TranscriptStatus(models.TextChoices):
    """The seed's "Filter status of Learner Transcripts"."""

    ALL = "all", _("All")
    COMPLETED = "completed", _("Completed")
    IN_PROGRESS = "in progress", _("In progress")
    NOT_STARTED = "not started", _("Not started")
    UNENROLLED = "unenrolled", _("Unenrolled")


def _iso(value: datetime.datetime | str | None) -> str | None:
    """ISO 8601 of a timestamp, or of one read as text (``_timestamp``): UTC when it names no offset."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
    return value.isoformat()


def _timestamp(name: str):
    """A timestamp column read as text when stored in UTC: ``fromisoformat`` (C) then costs a tenth of
    the database driver's converters, a third of the selection's time at 100,000 rows."""
    return Cast(name, output_field=TextField()) if settings.USE_TZ else name


class _IsoUTC(Func):
    """PostgreSQL: a timestamp as the very text ``_iso`` makes of it (``datetime.isoformat`` in UTC: no
    fraction when the microseconds are 0, ``+00:00``), so a row's three timestamps cost no Python."""

    output_field = TextField()
    template = (
        "CASE WHEN %(expressions)s IS NULL THEN NULL ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', "
        "CASE WHEN mod(date_part('microseconds', %(expressions)s)::int, 1000000) = 0 "
        'THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END) END'
    )


def _iso_sql(column: str) -> str:
    """``_IsoUTC``'s SQL for a column given as SQL."""
    return _IsoUTC.template % {"expressions": column}


def _iso_in_sql() -> bool:
    """Timestamps of the selection made ISO 8601 text by the database (PostgreSQL, stored in UTC)."""
    return connection.vendor == "postgresql" and settings.USE_TZ


CHUNK = 10_000  # enrollments read and completed per step: memory stays flat whatever the number of rows


@dataclass
class Selection:
    """The rows of one window, in key order, as an iterator (read once), and the enrollments left out
    and why (``skip_reasons`` is complete once ``rows`` is exhausted)."""

    rows: Iterable[tuple[str, dict]]  # (key, row)
    skip_reasons: dict[str, int] = field(default_factory=dict)


def _candidates(customer, since, until):
    """The customer's linked learners' enrollments whose inputs changed in the window (all when ``since`` is None)."""
    enrollments = EnterpriseCourseEnrollment.objects.filter(
        learner__customer_id=customer.pk, learner__linked=True, created__lte=until
    )
    if since is not None:
        changed = get_completion_backend().changed_since(since=since, now=until)
        condition = Q(modified__gt=since) | Q(learner__modified__gt=since)
        if changed is None:  # the host LMS cannot say what changed: every enrollment is a candidate
            condition = Q()
        elif changed:
            condition |= Q(learner__user_id__in=sorted({user_id for user_id, _course in changed}))
        enrollments = enrollments.filter(condition)
    return enrollments.order_by("pk")


_FIELDS = (
    "pk",
    "learner__user_id",
    "learner__user__email",
    "learner__user__username",
    "course_id",
    "created",
    "unenrolled_at",
    "learner__attributes",
    "program_id",
    "paid_amount",
    "paid_currency",
    "purchased_at",
)


def _chunks(queryset, *, attributes: bool, joined=None) -> Iterator[list[tuple]]:
    """The queryset's rows by keyset pages of ``CHUNK`` (pk order): one query each, none held longer.

    ``attributes``: read the learners' attributes (JSON, decoded per row) only for reports that show them.
    ``joined``: ``(columns, joins, params)`` of the local LMS's completion columns (``completion_columns``),
    added after the row's own, in the same query (decision 0555).
    """
    timestamp = (lambda name: _IsoUTC(name)) if _iso_in_sql() else _timestamp
    fields = [
        timestamp(name) if name in ("created", "unenrolled_at", "purchased_at") else name
        for name in _FIELDS
        if attributes or name != "learner__attributes"
    ]
    if not attributes:
        fields.insert(_FIELDS.index("learner__attributes"), Value(None, output_field=TextField()))
    if joined is not None:
        yield from _read_ahead(queryset, fields, *joined)
        return
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).values_list(*fields)[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _read_ahead(queryset, fields: list, columns: str, joins: str, params: list) -> Iterator[list[tuple]]:
    """``_chunks`` with the completion columns joined (PostgreSQL), each page's query run by a reader thread
    while the caller builds the rows of the page before (decision 0555): the database's work and this
    process's overlap on two cores. The thread uses this thread's connection (the same transaction: what
    the caller wrote is seen), one query at a time; at most two pages are held besides the caller's."""
    db = connections[DEFAULT_DB_ALIAS]  # this thread's connection object, lent to the reader

    def statement(last: int) -> tuple[str, list]:  # compiled here: the reader thread touches only the cursor
        sql, page_params = queryset.filter(pk__gt=last).values_list(*fields)[:CHUNK].query.sql_with_params()
        return f"SELECT q.*, {columns} FROM ({sql}) q {joins} ORDER BY q.pk", [*params, *page_params]  # noqa: S608

    def fetch(query: tuple[str, list]) -> list[tuple]:
        with db.cursor() as cursor:
            cursor.execute(*query)
            return cursor.fetchall()

    db.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="report-pages") as reader:
            pending = reader.submit(fetch, statement(0))
            while rows := pending.result():
                pending = reader.submit(fetch, statement(rows[-1][0]))
                yield rows
    finally:
        db.dec_thread_sharing()


_UNENROLLED, _COMPLETED, _IN_PROGRESS, _NOT_STARTED = (
    TranscriptStatus.UNENROLLED.value,
    TranscriptStatus.COMPLETED.value,
    TranscriptStatus.IN_PROGRESS.value,
    TranscriptStatus.NOT_STARTED.value,
)


def _learner_rows(customer, since, until, status_filter: str, *, feedback: bool) -> Selection:
    """The transcript rows, built in one loop per chunk: a row costs its dict and a few look-ups (decision 0521),
    the courses' titles and the learning paths' asked once each. Status: unenrolled, completed, in progress (a
    grade above 0 recorded) or not started."""
    catalog, backend = get_catalog(), get_completion_backend()
    courses: dict = {}
    skipped: dict[str, int] = {}
    as_read = _iso_in_sql()  # the enrollment's timestamps are ISO text already (else ``_iso`` each)
    recorded_at = until.isoformat()
    wanted = None if status_filter == TranscriptStatus.ALL else str(status_filter)
    programs: dict[str, str | None] = {}

    def _program_title(program_id: str) -> str | None:
        """The learning path's title, asked once per program (None when the catalog no longer has it)."""
        if program_id not in programs:
            try:
                programs[program_id] = catalog.get_program(program_id).title
            except LMSError:
                programs[program_id] = None
        return programs[program_id]

    # The local LMS on PostgreSQL: the certificate and grade of each enrollment joined in its query as
    # columns (no second and third query, no named tuples), the rules applied here (decision 0555).
    from enterprise.lms.local.backends import LocalCompletions  # the local LMS app may be left out

    joined = (
        backend.completion_columns(user="q.learner__user_id", course="q.course_id", now=until, timestamp=_iso_sql)
        if as_read and type(backend) is LocalCompletions
        else None
    )
    rules: dict[str, int] = {}

    def rows() -> Iterator[tuple[str, dict]]:
        not_found = filtered = 0
        for chunk in _chunks(_candidates(customer, since, until), attributes=feedback, joined=joined):
            missing = {row[4] for row in chunk} - set(courses)
            if missing:
                courses.update(catalog.get_courses(missing))
                courses.update({course_id: None for course_id in missing if course_id not in courses})
            known = {course_id: course for course_id in {row[4] for row in chunk} if (course := courses[course_id])}
            keys = [(row[1], row[4]) for row in chunk if row[4] in known] if joined is None or feedback else ()
            if joined is None:
                completions = completions_for(keys, courses=known, backend=backend, now=until)
                # Not complete: a grade above 0 (whatever the course's rule reads) says the learner started.
                open_keys = [key for key in keys if not completions[key].complete]
                grades = backend.get_grades(open_keys) if open_keys else {}
                started = {k for k, grade in grades.items() if grade.percent}
            else:
                rules.update(rules_of({c: known[c] for c in known.keys() - rules.keys()}, until))
            ratings = backend.get_feedback(keys) if feedback else {}
            titles = {course_id: course.title for course_id, course in known.items()}
            for values in chunk:
                pk, user_id, email, username, course_id, created, unenrolled_at, attributes, program_id = values[:9]
                paid_amount, paid_currency, purchased_at = values[9:12]
                if course_id not in titles:
                    not_found += 1
                    skipped["course_not_found"] = not_found
                    continue
                key = (user_id, course_id)
                if joined is None:
                    complete, grade, completed_at, percent = completions[key]
                    begun = percent or key in started
                    if completed_at is not None:
                        completed_at = (
                            completed_at.isoformat()
                            if isinstance(completed_at, datetime.datetime)
                            else _iso(completed_at)
                        )
                else:  # completions_for's rules on the joined columns (tests check they agree)
                    certificate_grade, issued_at, begun, passed_at, passed = values[12:]
                    rule = rules[course_id]
                    if rule == READS_CERTIFICATE:
                        if issued_at is None:
                            complete, grade, completed_at, percent = False, IN_PROGRESS, None, None
                        else:
                            complete, grade, completed_at, percent = True, certificate_grade, issued_at, None
                    elif rule == READS_GRADE:
                        if passed:
                            complete, grade, completed_at, percent = True, PASS, passed_at, begun
                        else:
                            complete, grade, completed_at, percent = False, IN_PROGRESS, None, begun
                    elif rule == READS_GRADE_ENDED:
                        complete, grade, percent = True, PASS if passed else FAIL, begun
                        completed_at = known[course_id].end.isoformat()
                    else:
                        complete, grade, completed_at, percent = False, IN_PROGRESS, None, None
                if unenrolled_at is not None:
                    status = _UNENROLLED
                elif complete:
                    status = _COMPLETED
                elif begun:
                    status = _IN_PROGRESS
                else:
                    status = _NOT_STARTED
                if wanted is not None and status != wanted:
                    filtered += 1
                    skipped["status_filtered_out"] = filtered
                    continue
                if not as_read:
                    created, unenrolled_at, purchased_at = _iso(created), _iso(unenrolled_at), _iso(purchased_at)
                row = {
                    "EnrollmentId": pk,
                    "Email": email,
                    "Username": username,
                    "CourseId": course_id,
                    "CourseTitle": titles[course_id],
                    "Status": status,
                    "Grade": grade,
                    "Percent": float(percent * 100) if percent is not None else None,
                    "EnrolledAt": created,
                    "CompletedAt": completed_at,
                    "UnenrolledAt": unenrolled_at,
                    "Type": "learning path course" if program_id else "course",
                    "LearningPathId": program_id or None,
                    "LearningPath": _program_title(program_id) if program_id else None,
                    # bought through a store (Adobe Commerce): the price paid and when (the seed's FAQ)
                    "Price": float(paid_amount) if paid_amount is not None else None,
                    "Currency": paid_currency or None,
                    "PurchasedAt": purchased_at,
                }
                if feedback:
                    given = ratings.get(key)
                    row["Attributes"] = json.dumps(attributes or {}, sort_keys=True, ensure_ascii=False)
                    row["Rating"] = given.rating if given else None
                    row["Comment"] = given.comment if given else None
                row["RecordedAt"] = recorded_at
                yield f"{pk:012d}", row

    return Selection(rows(), skipped)


def transcripts(customer, since, until, status_filter: str = TranscriptStatus.ALL) -> Selection:
    """Learner transcripts: one row per enrollment (of the status asked), with its completion and learning path."""
    return _learner_rows(customer, since, until, status_filter, feedback=False)


def unified(customer, since, until) -> Selection:
    """The transcripts with the learner's attributes and course feedback (the seed's unified report)."""
    return _learner_rows(customer, since, until, TranscriptStatus.ALL, feedback=True)


def skills(customer, since, until) -> Selection:
    """User skills: one row per skill of each completed course."""
    learners = _learner_rows(customer, since, until, TranscriptStatus.COMPLETED, feedback=False)
    catalog = get_catalog()
    courses: dict = {}

    def rows() -> Iterator[tuple[str, dict]]:
        for key, row in learners.rows:
            course = courses.get(row["CourseId"])
            if course is None:  # cached: the completed enrollments' courses, asked once each
                course = courses[row["CourseId"]] = catalog.get_course(row["CourseId"])
            for index, skill in enumerate(course.skills):
                yield (
                    f"{key}:{index:04d}",
                    {
                        "EnrollmentId": row["EnrollmentId"],
                        "Email": row["Email"],
                        "Username": row["Username"],
                        "Skill": skill.name,
                        "Level": skill.level,
                        "CourseId": row["CourseId"],
                        "CourseTitle": row["CourseTitle"],
                        "AchievedAt": row["CompletedAt"],
                        "RecordedAt": row["RecordedAt"],
                    },
                )
        # not completed: no skill achieved, nothing left out
        selection.skip_reasons.update({k: v for k, v in learners.skip_reasons.items() if k != "status_filtered_out"})

    selection = Selection(rows())
    return selection


def training(customer, since, until) -> Selection:
    """A snapshot per course of the customer's enrollments in force (every run: the window is ignored)."""
    rows = list(
        EnterpriseCourseEnrollment.objects.enrolled()
        .filter(learner__customer_id=customer.pk, learner__linked=True)
        .values_list("learner__user_id", "course_id")
    )
    courses = get_catalog().get_courses({course_id for _user, course_id in rows})
    completions = completions_for(rows, courses=courses, backend=get_completion_backend(), now=until)
    summaries = feedback_by_course(rows)
    prices = prices_for(customer.pk, "course", {course_id for _user, course_id in rows})
    purchases = {
        course_id: (count, last)
        for course_id, count, last in EnterpriseCourseEnrollment.objects.enrolled()
        .filter(learner__customer_id=customer.pk, learner__linked=True, purchased_at__isnull=False)
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"), last=Max("purchased_at"))
        .values_list("course_id", "n", "last")
    }
    figures: dict[str, list[int]] = {}
    for user_id, course_id in rows:
        if course_id in courses:
            counts = figures.setdefault(course_id, [0, 0])
            counts[0] += 1
            counts[1] += completions[(user_id, course_id)].complete
    out = []
    for course_id in sorted(figures):
        summary = summaries.get(course_id)
        average: Decimal | None = summary.average if summary else None
        out.append(
            (
                course_id,
                {
                    "CourseId": course_id,
                    "CourseTitle": courses[course_id].title,
                    "Enrollments": figures[course_id][0],
                    "Completions": figures[course_id][1],
                    "FeedbackCount": summary.count if summary else 0,
                    "AverageRating": float(average) if average is not None else None,
                    # the price a learner pays now, and the enrollments in force bought through a store
                    "Price": float(prices[course_id].amount) if course_id in prices else None,
                    "Currency": prices[course_id].currency if course_id in prices else None,
                    "Purchases": purchases.get(course_id, (0, None))[0],
                    "LastPurchasedAt": _iso(purchases.get(course_id, (0, None))[1]),
                    "RecordedAt": until.isoformat(),
                },
            )
        )
    unknown = sum(1 for _user, course_id in rows if course_id not in courses)
    return Selection(iter(out), {"course_not_found": unknown} if unknown else {})


def after(selection: Selection, key: str) -> Iterator[tuple[str, dict]]:
    """The rows after ``key`` (a resumed window, in key order)."""
    return (item for item in selection.rows if not key or item[0] > key)


def user_report(customer, since, until) -> Selection:
    """One row per linked, active learner changed since ``since``: enrollments in force and completions."""
    learners = EnterpriseCustomerUser.objects.filter(customer_id=customer.pk, linked=True, active=True)
    if since is not None:
        learners = learners.filter(Q(modified__gt=since) | Q(user__date_joined__gt=since))
    learners = learners.annotate(
        enrolled_count=Count("enrollments", filter=Q(enrollments__unenrolled_at__isnull=True))
    ).order_by("pk")

    def rows() -> Iterator[tuple[str, dict]]:
        completions: dict[str, int] = {}
        for _key, row in transcripts(customer, None, until, TranscriptStatus.COMPLETED).rows:
            completions[row["Email"]] = completions.get(row["Email"], 0) + 1
        for pk, email, username, created, enrolled in learners.values_list(
            "pk", "user__email", "user__username", "created", "enrolled_count"
        ).iterator(chunk_size=5000):
            yield (
                f"{pk:012d}",
                {
                    "LearnerId": pk,
                    "Email": email,
                    "Username": username,
                    "Enrollments": enrolled,
                    "Completions": completions.get(email, 0),
                    "LinkedAt": created.isoformat(),
                },
            )

    return Selection(rows())
