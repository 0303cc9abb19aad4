"""Attendance: provider reports joined to learners by e-mail, corrections by hand, completions from both.

``AttendanceWriter`` takes the participant rows of many sessions (one per join: a learner who
rejoined appears several times), sums their minutes per learner and writes them per chunk of
sessions in three statements (``record_provider_attendance``: one session); rows with no e-mail,
or an e-mail of no learner of the session's customer, are returned for the run to report, not
raised. A row corrected by hand is never overwritten by a later provider report.

``record_session_completions`` turns the attendance of many sessions into grades and
certificates, two upserts per 50,000 with the rules of
``enterprise.services.completions.record_completions`` (decision 0395): a learner completes a
session's course when they meet its rule: attended at least ``min_attendance_percent`` of the
scheduled time, and scored at least ``min_quiz_percent`` in its quiz, for each condition set
(decision 0311). The transmit runs of every channel then send those completions.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.lms.local.models import Certificate, Course, Grade
from enterprise.models import EnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf, values_table
from enterprise.services.completions import CompletionsRecorded
from integrated_channels.classroom.models import Attendance, Session

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MAX_SECONDS = 999_999 * 60  # Attendance.minutes holds 8 digits, 2 after the point
CHUNK_ROWS = 50_000  # learners' attendance rows (or completions) written per statement
PASSED_GRADE = "Pass"  # the grade on the certificate of a session passed


@dataclass(frozen=True)
class Participant:
    """One join of one participant, as the provider reports it."""

    email: str
    name: str = ""
    seconds: int = 0
    quiz_percent: Decimal | None = None


@dataclass
class AttendanceRecorded:
    learners: int = 0
    joins: int = 0
    kept_manual: int = 0
    no_email: list[str] = field(default_factory=list)  # the names of participants without an e-mail
    unknown_emails: list[str] = field(default_factory=list)


def record_provider_attendance(*, session: Session, participants: Iterable[Participant]) -> AttendanceRecorded:
    """One session's report: ``AttendanceWriter`` with a single session (three queries in one transaction)."""
    writer = AttendanceWriter()
    result = writer.add(session, participants)
    writer.flush()
    return result


class AttendanceWriter:
    """Attendance of many sessions written set-based: reports are added per session, written per chunk.

    ``add`` reads a session's participant rows once, summing the joins per e-mail (lower case) and
    keeping the best quiz score (``ValueError`` naming the participant, before anything of the
    session is queued, for a score outside 0-100 or more minutes than a row holds); it returns
    the session's ``AttendanceRecorded``, whose counts are complete once the chunk holding it is
    written; a session is added once per chunk (its report whole). When the pending learners
    reach ``chunk_rows``, or at ``flush()``, one transaction writes them all: one query finds the
    learners by e-mail (per customer: a run's sessions have one), one ``INSERT … ON CONFLICT DO
    UPDATE`` upserts every attendance row (a row corrected by hand is left as it is: the update's
    ``WHERE``), one ``UPDATE`` marks the sessions synced. Three queries per chunk, whatever the
    sessions and rows (decision 0395).
    """

    def __init__(self, *, chunk_rows: int = CHUNK_ROWS):
        self.chunk_rows = chunk_rows
        self._pending: list[tuple[Session, AttendanceRecorded, dict[str, list]]] = []
        self._pending_rows = 0
        self._pending_sessions: set[int] = set()

    def add(self, session: Session, participants: Iterable[Participant]) -> AttendanceRecorded:
        if session.pk in self._pending_sessions:
            raise ValueError(f"{session}: its report is already waiting to be written; add a session's report whole.")
        result = AttendanceRecorded()
        totals: dict[str, list] = {}  # e-mail: [seconds, best quiz score or None]
        for participant in participants:
            result.joins += 1
            email = (participant.email or "").strip().lower()
            if not email:
                result.no_email.append(participant.name or "(no name)")
                continue
            entry = totals.get(email)
            if entry is None:
                entry = totals[email] = [0, None]
            entry[0] += max(int(participant.seconds), 0)
            if participant.quiz_percent is not None:
                quiz = Decimal(participant.quiz_percent)
                if not 0 <= quiz <= HUNDRED:
                    raise ValueError(
                        f"{session}: participant {email}, join {result.joins}: quiz_percent {quiz} is not within 0-100."
                    )
                entry[1] = quiz if entry[1] is None else max(entry[1], quiz)
        too_long = [email for email, (seconds, _quiz) in totals.items() if seconds > MAX_SECONDS]
        if too_long:
            raise ValueError(f"{session}: participant {too_long[0]} attended over {MAX_SECONDS // 60} minutes in all.")
        self._pending.append((session, result, totals))
        self._pending_sessions.add(session.pk)
        self._pending_rows += len(totals)
        if self._pending_rows >= self.chunk_rows:
            self.flush()
        return result

    def flush(self) -> None:
        pending, self._pending, self._pending_rows = self._pending, [], 0
        self._pending_sessions = set()
        if not pending:
            return
        wanted: dict[object, set[str]] = defaultdict(set)  # customer: e-mails (a run's connection has one customer)
        for session, _result, totals in pending:
            wanted[session.customer_id].update(email for email in totals if _one_line(email))
        users: dict[tuple[object, str], int] = {}
        for customer_id, emails in wanted.items():
            if not emails:
                continue
            learners = (
                EnterpriseCustomerUser.objects.filter(customer_id=customer_id, linked=True)
                .filter(AnyOf(Lower("user__email"), sorted(emails)))
                .annotate(email_lower=Lower("user__email"))
                .order_by("user_id")
                .values_list("email_lower", "user_id")
            )
            users.update(((customer_id, email), user_id) for email, user_id in learners)
        rows, by_session = [], {}
        for session, result, totals in pending:
            by_session[session.pk] = result
            unknown = []
            for email, (seconds, quiz) in totals.items():
                user_id = users.get((session.customer_id, email))
                if user_id is None:
                    unknown.append(email)
                    continue
                minutes = (Decimal(seconds) / 60).quantize(CENT)
                rows.append((session.pk, user_id, minutes, quiz))
            result.unknown_emails = sorted(unknown)
        with transaction.atomic():
            written = _upsert_attendance(rows)
            Session.objects.filter(AnyOf(F("pk"), list(by_session))).update(attendance_synced_at=timezone.now())
        offered: dict[int, int] = defaultdict(int)
        for session_id, _user_id, _minutes, _quiz in rows:
            offered[session_id] += 1
        for session_id, result in by_session.items():
            result.learners = written.get(session_id, 0)
            result.kept_manual = offered[session_id] - result.learners


def _one_line(email: str) -> bool:
    return "\n" not in email and "\r" not in email  # an address with a line break is no learner's


def _upsert_attendance(rows: list[tuple]) -> dict[int, int]:
    """Insert or update the provider's attendance rows in one statement; {session id: rows written}."""
    if not rows:
        return {}
    connection = connections[router.db_for_write(Attendance)]
    quote = connection.ops.quote_name
    meta = Attendance._meta
    column = {name: quote(meta.get_field(name).column) for name in ("session", "user", "minutes", "quiz_percent")}
    column.update({name: quote(meta.get_field(name).column) for name in ("source", "correction_note", "modified")})
    table = quote(meta.db_table)
    source, params = values_table(
        connection,
        [("session_id", "bigint"), ("user_id", "bigint"), ("minutes", "numeric"), ("quiz", "numeric")],
        rows,
    )
    provider = Attendance.Source.PROVIDER.value
    # Only quoted identifiers and placeholders are interpolated; ``WHERE true`` lets SQLite parse ON CONFLICT.
    sql = (
        f"INSERT INTO {table} ({column['session']}, {column['user']}, {column['minutes']}, "  # noqa: S608
        f"{column['quiz_percent']}, {column['source']}, {column['correction_note']}, {column['modified']}) "
        f"SELECT v.session_id, v.user_id, v.minutes, v.quiz, %s, '', %s FROM {source} WHERE true "
        f"ON CONFLICT ({column['session']}, {column['user']}) DO UPDATE SET "
        f"{column['minutes']} = excluded.{column['minutes']}, "
        f"{column['quiz_percent']} = excluded.{column['quiz_percent']}, "
        f"{column['modified']} = excluded.{column['modified']} "
        f"WHERE {table}.{column['source']} = %s RETURNING {column['session']}"
    )
    now = meta.get_field("modified").get_db_prep_save(timezone.now(), connection)
    written: dict[int, int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(sql, [provider, now, *params, provider])
        for (session_id,) in cursor.fetchall():
            written[session_id] += 1
    return written


def correct_attendance(
    *,
    session: Session,
    user_id: int,
    minutes: Decimal,
    quiz_percent: Decimal | None = None,
    corrected_by,
    note: str = "",
) -> Attendance:
    """An operator's correction of one learner's attendance, kept as such (who, when, why)."""
    attendance, _created = Attendance.objects.update_or_create(
        session=session,
        user_id=user_id,
        defaults={
            "minutes": minutes,
            "quiz_percent": quiz_percent,
            "source": Attendance.Source.MANUAL,
            "corrected_by": corrected_by,
            "corrected_at": timezone.now(),
            "correction_note": note,
        },
    )
    return attendance


def meets_rule(
    *, minutes: Decimal, quiz_percent: Decimal | None, scheduled_minutes: Decimal, min_attendance, min_quiz
) -> bool:
    if min_attendance is not None and (
        scheduled_minutes <= 0 or minutes * HUNDRED / scheduled_minutes < min_attendance
    ):
        return False
    return min_quiz is None or (quiz_percent is not None and quiz_percent >= min_quiz)


def record_session_completions(
    *, sessions, now: datetime.datetime | None = None, batch_size: int = CHUNK_ROWS
) -> CompletionsRecorded:
    """Completions of the learners who attended ``sessions`` (a queryset), by their rules, set-based.

    One query reads the sessions' rules, one the attendance (streamed); per (learner, course) the
    best session counts (a pass in any session of the course completes it). The grade is the
    share of the scheduled time attended (capped at 1), or the quiz score when the rule asks for
    one. Then one query reads the courses, one the grades already there, and per ``batch_size``
    completions one ``INSERT … ON CONFLICT DO UPDATE`` writes the grades and one the certificates
    of the passes, with ``record_completions``'s rules: a failed attempt never takes back a pass,
    a certificate is never removed, a completion that changes nothing writes nothing (so
    ``modified``, which the channels send from, moves only on a change).
    """
    now = now or timezone.now()
    rules = {
        pk: (course_id, Decimal((end - start).total_seconds()) / 60, end, min_attendance, min_quiz)
        for pk, course_id, start, end, min_attendance, min_quiz in sessions.values_list(
            "pk", "course_id", "start", "end", "min_attendance_percent", "min_quiz_percent"
        )
    }
    best: dict[tuple[int, str], tuple[bool, Decimal, int]] = {}  # (user, course): (passed, percent, session)
    if rules:
        rows = Attendance.objects.filter(AnyOf(F("session_id"), list(rules))).values_list(
            "session_id", "user_id", "minutes", "quiz_percent"
        )
        for session_id, user_id, minutes, quiz_percent in rows.iterator(chunk_size=10_000):
            course_id, scheduled, _end, min_attendance, min_quiz = rules[session_id]
            passed = meets_rule(
                minutes=minutes,
                quiz_percent=quiz_percent,
                scheduled_minutes=scheduled,
                min_attendance=min_attendance,
                min_quiz=min_quiz,
            )
            if min_quiz is not None and quiz_percent is not None:
                percent = quiz_percent / HUNDRED
            else:
                percent = min(minutes / scheduled, Decimal(1)) if scheduled > 0 else Decimal(0)
            candidate = (passed, percent.quantize(Decimal("0.0001")), session_id)
            key = (user_id, course_id)
            current = best.get(key)
            if current is None or candidate[:2] > current[:2]:
                best[key] = candidate
    result = CompletionsRecorded()
    if not best:
        return result
    course_ids = {course_id for _user_id, course_id in best}
    courses = dict(Course.objects.filter(course_id__in=course_ids).values_list("course_id", "pk"))
    result.unknown_courses = course_ids - set(courses)
    completions = [
        (user_id, courses[course_id], percent, rules[session_id][2] if passed else None)
        for (user_id, course_id), (passed, percent, session_id) in best.items()
        if course_id in courses
    ]
    existing = set(
        Grade.objects.filter(
            AnyOf(F("course_id"), sorted(set(courses.values()))),
            AnyOf(F("user_id"), sorted({user_id for user_id, *_rest in completions})),
        ).values_list("user_id", "course_id")
    )
    changed: set[tuple[int, int]] = set()
    with transaction.atomic():
        for offset in range(0, len(completions), batch_size):
            chunk = completions[offset : offset + batch_size]
            changed |= _upsert_grades(chunk, now=now)
            changed |= _upsert_certificates([row for row in chunk if row[3] is not None], now=now)
    by_pk = {pk: course_id for course_id, pk in courses.items()}
    for user_id, course_pk, _percent, _passed_at in completions:
        key = (user_id, by_pk[course_pk])
        if (user_id, course_pk) in changed:
            result.changed_keys.add(key)
            if (user_id, course_pk) in existing:
                result.updated += 1
            else:
                result.created += 1
        else:
            result.unchanged += 1
            result.unchanged_keys.add(key)
    return result


def _upsert_grades(rows: list[tuple], *, now: datetime.datetime) -> set[tuple[int, int]]:
    """(user, course pk, percent, passed at or None) rows as grades; the (user, course pk) written.

    A pass updates the grade; a failure updates it only while it is not passed (a pass is never
    taken back); a row equal to the grade there is not written.
    """
    connection = connections[router.db_for_write(Grade)]
    quote = connection.ops.quote_name
    meta = Grade._meta
    table = quote(meta.db_table)
    user, course, percent, passed_at, modified = (
        quote(meta.get_field(name).column) for name in ("user", "course", "percent", "passed_at", "modified")
    )
    source, params = values_table(
        connection,
        [("user_id", "bigint"), ("course_id", "bigint"), ("percent", "numeric"), ("passed_at", "timestamptz")],
        rows,
    )
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # SQLite before 3.39 too
    # Only quoted identifiers and placeholders are interpolated; ``WHERE true`` lets SQLite parse ON CONFLICT.
    sql = (
        f"INSERT INTO {table} ({user}, {course}, {percent}, {passed_at}, {modified}) "  # noqa: S608
        f"SELECT v.user_id, v.course_id, v.percent, v.passed_at, %s FROM {source} WHERE true "
        f"ON CONFLICT ({user}, {course}) DO UPDATE SET {percent} = excluded.{percent}, "
        f"{passed_at} = excluded.{passed_at}, {modified} = excluded.{modified} "
        f"WHERE (excluded.{passed_at} IS NOT NULL OR {table}.{passed_at} IS NULL) "
        f"AND ({table}.{percent} <> excluded.{percent} OR {table}.{passed_at} {distinct} excluded.{passed_at}) "
        f"RETURNING {user}, {course}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_datetime(connection, now), *params])
        return {(user_id, course_id) for user_id, course_id in cursor.fetchall()}


def _upsert_certificates(rows: list[tuple], *, now: datetime.datetime) -> set[tuple[int, int]]:
    """A "Pass" certificate per passed row, issued when the session ended; the (user, course pk) written."""
    if not rows:
        return set()
    connection = connections[router.db_for_write(Certificate)]
    quote = connection.ops.quote_name
    meta = Certificate._meta
    table = quote(meta.db_table)
    user, course, grade, issued_at, modified = (
        quote(meta.get_field(name).column) for name in ("user", "course", "grade", "issued_at", "modified")
    )
    source, params = values_table(
        connection,
        [("user_id", "bigint"), ("course_id", "bigint"), ("issued_at", "timestamptz")],
        [(u, c, at) for u, c, _percent, at in rows],
    )
    # Only quoted identifiers and placeholders are interpolated; ``WHERE true`` lets SQLite parse ON CONFLICT.
    sql = (
        f"INSERT INTO {table} ({user}, {course}, {grade}, {issued_at}, {modified}) "  # noqa: S608
        f"SELECT v.user_id, v.course_id, %s, v.issued_at, %s FROM {source} WHERE true "
        f"ON CONFLICT ({user}, {course}) DO UPDATE SET {grade} = excluded.{grade}, "
        f"{issued_at} = excluded.{issued_at}, {modified} = excluded.{modified} "
        f"WHERE {table}.{grade} <> excluded.{grade} OR {table}.{issued_at} <> excluded.{issued_at} "
        f"RETURNING {user}, {course}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [PASSED_GRADE, _db_datetime(connection, now), *params])
        return {(user_id, course_id) for user_id, course_id in cursor.fetchall()}


def _db_datetime(connection, value: datetime.datetime | None):
    """A datetime as the database stores it (PostgreSQL: as is; SQLite: its text form in UTC)."""
    if value is None or connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)
