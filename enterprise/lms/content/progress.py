"""Learners' progress at a provider turned into completions of the local LMS, set-based (decisions 0241, 0391).

Per chunk of records: one query each for the learners (by e-mail) and the provider's courses; the chunk's
latest record per learner and course is then staged in a temporary table (COPY on PostgreSQL) and a fixed
number of statements compare it with the stored progress in SQL, upsert what changed, write its grades and
certificates (``record_completions``' rules, in SQL) and enroll the learners (source "import") in the
courses they have progress in. A rerun of the same records writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.app_settings import enterprise_settings
from enterprise.lms import get_enrollment_backend
from enterprise.lms.content.models import ProviderCourse, ProviderProgress
from enterprise.lms.content.services import (
    PROVIDER_MODE,
    ProgressImport,
    ProgressRecord,
    RecordError,
    chunks,
)
from enterprise.lms.interfaces import EnrollmentRequest
from enterprise.lms.local.models import Certificate, Grade, LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services.bulk_sql import AnyOf, insert_select, text_lines
from enterprise.services.completions import CompletionReport

#: Records per chunk: each chunk costs a fixed number of statements and a commit, so fewer, larger chunks are
#: cheaper (20,000 staged rows take a few MB); decision 0391.
PROGRESS_CHUNK_SIZE = 20_000
_PROGRESS_FIELDS = ("first_activity", "last_activity", "time_spent_seconds", "percent", "completed_at")


def import_progress(
    *,
    provider: str,
    customer_id: int,
    records: Iterable[ProgressRecord],
    now: datetime.datetime | None = None,
) -> ProgressImport:
    """Store the learners' progress and turn what changed into completions of the local LMS.

    Learners are the customer's linked learners, found by e-mail (case-insensitive); courses are the
    provider's, by its id. A completed record writes a passing grade and a certificate dated when it was
    completed; the percent of one not completed stays on its progress row, which the completion interface reads
    for a course without a grade row (decision 0560), or updates a grade already there (``record_completions``:
    a pass is never taken back). Records that change nothing write nothing, so ``transmit_learner_data`` sends
    only what changed.
    """
    now = now or timezone.now()
    result = ProgressImport()
    for chunk in chunks(records, PROGRESS_CHUNK_SIZE):
        _import_progress_chunk(provider, customer_id, chunk, now, result)
    return result


class _EmailAmong(AnyOf):
    """The address is one of ``values`` whatever the case, compared as the user table's index is built (decision
    0110: ``UPPER(email)`` on PostgreSQL, both sides upper-cased by the database; ``LOWER`` elsewhere). A
    comparison of ``LOWER(email)`` could use no index: every chunk read the customer's learners (decision 0455)."""

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"UPPER({lhs_sql}) = ANY(string_to_array(UPPER(%s), chr(10)))", [*lhs_params, text_lines(self.rhs)]
        return AnyOf(Lower(self.lhs), self.rhs).as_sql(compiler, connection)


def _moment(record: ProgressRecord):
    return record.last_activity or record.completed_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _import_progress_chunk(provider, customer_id, chunk, now, result: ProgressImport) -> None:
    addresses = [record.email.strip().lower() for record in chunk]  # normalized once, for the look-up and the loop
    emails = {email for email, record in zip(addresses, chunk, strict=True) if "\n" not in record.email}
    ids = {record.provider_id for record in chunk}
    links = {
        email: (user_id, learner_pk)
        for email, user_id, learner_pk in EnterpriseCustomerUser.objects.annotate(email_lower=Lower("user__email"))
        .filter(customer_id=customer_id, linked=True)
        .filter(_EmailAmong(F("user__email"), sorted(emails)))
        .values_list("email_lower", "user_id", "pk")
    }
    learners = {email: user_id for email, (user_id, _pk) in links.items()}
    courses = {
        provider_id: (pk, local_pk, course_id)
        for provider_id, pk, local_pk, course_id in ProviderCourse.objects.filter(provider=provider)
        .filter(AnyOf(F("provider_id"), sorted(ids)))
        .values_list("provider_id", "pk", "course_id", "course__course_id")
    }
    latest: dict[tuple[int, int], ProgressRecord] = {}
    for email, record in zip(addresses, chunk, strict=True):
        user_id = learners.get(email)
        course = courses.get(record.provider_id)
        if user_id is None:
            result.errors.append(
                RecordError(record.source, f"{email or 'no e-mail'} is not a linked learner", record.provider_id, email)
            )
        elif course is None:
            result.errors.append(
                RecordError(
                    record.source,
                    f"unknown {provider} course {record.provider_id!r}",
                    record.provider_id,
                    email,
                )
            )
        elif record.percent is not None and not 0 <= record.percent <= 1:
            result.errors.append(
                RecordError(
                    record.source,
                    f"percent {record.percent} is not between 0 and 100",
                    record.provider_id,
                    email,
                )
            )
        else:
            key = (user_id, course[0])
            if key in latest:
                result.superseded += 1
            if key not in latest or _moment(latest[key]) <= _moment(record):
                latest[key] = record
    if not latest:
        return
    written = ProgressImport()
    try:
        with transaction.atomic():
            _write(customer_id, latest, courses, links, now, written)
    except IntegrityError as exc:
        # The new pairs go in by plain INSERTs (decision 0580); another import that wrote some of them since this one
        # looked makes one fail: the chunk is written again, every row by upsert, as before that decision.
        if getattr(exc.__cause__, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
        written = ProgressImport()
        with transaction.atomic():
            _write(customer_id, latest, courses, links, now, written, plain_inserts=False)
    result.changed += written.changed
    result.unchanged += written.unchanged
    result.completions_written += written.completions_written
    result.enrolled += written.enrolled


_UNIQUE_VIOLATION = "23505"


# The chunk's records in a temporary table; the writes below are set-based statements over it.
_STAGE = "content_progress_stage"
_STAGE_COLUMNS = (
    "user_id",
    "learner_id",
    "course_id",  # ProviderCourse pk
    "local_course_id",  # lms_local Course pk
    "course_key",
    "first_activity",
    "last_activity",
    "time_spent_seconds",
    "percent",
    "completed_at",
)


def _stage(connection, cursor, rows: list[tuple]) -> None:
    """Fill the staging table with ``rows`` (``_STAGE_COLUMNS``): COPY on PostgreSQL, one executemany elsewhere."""
    postgres = connection.vendor == "postgresql"
    moment = "timestamp with time zone" if postgres else "datetime"
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ("
        "user_id bigint NOT NULL, learner_id bigint NOT NULL, course_id bigint NOT NULL, "
        "local_course_id bigint NOT NULL, course_key varchar(255) NOT NULL, "
        f"first_activity {moment}, last_activity {moment}, time_spent_seconds bigint, percent decimal(5, 4), "
        f"completed_at {moment}, changed boolean NOT NULL DEFAULT true)"
    )
    # TRUNCATE, not DELETE: a temporary table is never vacuumed, and the dead rows of earlier chunks would be
    # scanned by every later statement (measured: the comparison went from a few to 100 ms per chunk).
    # PostgreSQL: no JIT compilation for the chunk's statements: the probes of the new pairs (one index look-up a
    # row) are estimated above ``jit_above_cost``, and compiling costs more than it saves on 20,000 rows.
    cursor.execute(f"TRUNCATE {_STAGE}; SET LOCAL jit = off" if postgres else f"DELETE FROM {_STAGE}")  # noqa: S608
    columns = ", ".join(_STAGE_COLUMNS)
    if postgres:
        with cursor.cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    ops = connection.ops
    prepared = [
        (
            *row[:5],
            ops.adapt_datetimefield_value(row[5]),
            ops.adapt_datetimefield_value(row[6]),
            row[7],
            ops.adapt_decimalfield_value(row[8], 5, 4),
            ops.adapt_datetimefield_value(row[9]),
        )
        for row in rows
    ]
    placeholders = ", ".join(["%s"] * len(_STAGE_COLUMNS))
    cursor.executemany(f"INSERT INTO {_STAGE} ({columns}) VALUES ({placeholders})", prepared)  # noqa: S608


def _present(table: str, pairs: str) -> str:
    """SQL true when ``table`` has a row of the staged pair ``pairs`` (``(a, b)`` columns of ``s``): an index probe
    a row. ``OFFSET 0`` keeps it a probe: as an anti-join, PostgreSQL 15 would hash the whole table (the build side
    of a hash anti-join is the table probed), a million rows for every chunk."""
    (left, right), (own_left, own_right) = pairs
    probe = f"t.{left} = s.{own_left} AND t.{right} = s.{own_right}"
    return f"EXISTS (SELECT 1 FROM {table} AS t WHERE {probe} OFFSET 0)"  # noqa: S608 (names of the caller)


def _write(customer_id, latest, courses, links, now, result: ProgressImport, *, plain_inserts: bool = True) -> None:
    """Store the changed progress, its grades and certificates and the missing enrollments, in a fixed number
    of statements whatever the chunk's size: stage, mark unchanged, upsert progress, grades, certificates,
    enrollments (decision 0391)."""
    connection = connections[router.db_for_write(ProviderProgress)]
    quote = connection.ops.quote_name
    learner_pks = dict(links.values())
    by_pk = {pk: (local_pk, key) for pk, local_pk, key in courses.values()}
    rows = []
    for (user_id, course_pk), record in latest.items():
        local_pk, course_key = by_pk[course_pk]
        percent = record.percent.quantize(Decimal("0.0001")) if record.percent is not None else None
        rows.append(
            (
                user_id,
                learner_pks[user_id],
                course_pk,
                local_pk,
                course_key,
                record.first_activity,
                record.last_activity,
                record.time_spent_seconds,
                percent,
                record.completed_at,
            )
        )
    progress, grade, certificate = (quote(m._meta.db_table) for m in (ProviderProgress, Grade, Certificate))
    with connection.cursor() as cursor:
        _stage(connection, cursor, rows)
        # A percent not reported keeps the one stored (the grade's rule, ``record_completions``): the percent of a
        # course in progress is read from the progress row (decision 0560).
        new = {name: f"EXCLUDED.{name}" for name in _PROGRESS_FIELDS} | {
            "percent": f"COALESCE(EXCLUDED.percent, {progress}.percent)"
        }
        updates = ", ".join(
            f"{name} = {value}" for name, value in (*new.items(), ("customer_id", "EXCLUDED.customer_id"))
        )
        updates += ", modified = EXCLUDED.modified"
        differs = " OR ".join(f"{progress}.{name} IS DISTINCT FROM {value}" for name, value in new.items())
        upsert = {
            "selected": {"user_id": "user_id", "course_id": "course_id"} | {name: name for name in _PROGRESS_FIELDS},
            "constants": {"customer_id": customer_id, "modified": now},
        }
        if connection.vendor == "postgresql" and plain_inserts:
            # One statement: the pairs stored already (an index probe each) are upserted, writing only rows that
            # differ, and those it did not return marked unchanged; the others — all of them in a first import —
            # go in by a plain INSERT: an upsert inserts speculatively (a conflict check, then a confirmation
            # record per row in the WAL), about a quarter of the statement's time (decision 0580).
            kept = "SELECT 1 FROM present WHERE present.user_id = s.user_id AND present.course_id = s.course_id"
            new_sql, new_params = insert_select(
                ProviderProgress, **upsert, source=f"{_STAGE} AS s WHERE NOT EXISTS ({kept})"
            )
            sql, params = insert_select(
                ProviderProgress,
                **upsert,
                source=f"{_STAGE} AS s WHERE EXISTS ({kept})",
                tail=f"ON CONFLICT (user_id, course_id) DO UPDATE SET {updates} WHERE {differs} "
                "RETURNING user_id, course_id",
            )
            present = _present(progress, (("user_id", "course_id"), ("user_id", "course_id")))
            cursor.execute(
                f"WITH present AS (SELECT user_id, course_id FROM {_STAGE} AS s WHERE {present}), "  # noqa: S608
                f"new AS ({new_sql}), up AS ({sql}) UPDATE {_STAGE} AS s SET changed = false WHERE EXISTS ({kept}) "
                "AND NOT EXISTS (SELECT 1 FROM up WHERE up.user_id = s.user_id AND up.course_id = s.course_id)",
                [*new_params, *params],
            )
            unchanged = cursor.rowcount
        elif connection.vendor == "postgresql":
            # One statement: the upsert writes only rows that differ (an index probe each) and the rows it did not
            # return are marked unchanged. A join of the stage with the whole progress table instead went from
            # index probes to a scan of it per chunk once the table held a few hundred thousand rows.
            sql, params = insert_select(
                ProviderProgress,
                **upsert,
                source=f"{_STAGE} WHERE true",
                tail=f"ON CONFLICT (user_id, course_id) DO UPDATE SET {updates} WHERE {differs} "
                "RETURNING user_id, course_id",
            )
            cursor.execute(
                f"WITH up AS ({sql}) UPDATE {_STAGE} AS s SET changed = false "  # noqa: S608
                "WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.user_id = s.user_id AND up.course_id = s.course_id)",
                params,
            )
            unchanged = cursor.rowcount
        else:
            same = " AND ".join(
                f"p.{name} IS NOT DISTINCT FROM "
                + ("COALESCE(s.percent, p.percent)" if name == "percent" else f"s.{name}")
                for name in _PROGRESS_FIELDS
            )
            cursor.execute(
                f"UPDATE {_STAGE} AS s SET changed = false FROM {progress} AS p "  # noqa: S608
                f"WHERE p.user_id = s.user_id AND p.course_id = s.course_id AND {same}"
            )
            unchanged = cursor.rowcount
            if unchanged < len(rows):
                sql, params = insert_select(
                    ProviderProgress,
                    **upsert,
                    source=f"{_STAGE} WHERE changed",
                    tail=f"ON CONFLICT (user_id, course_id) DO UPDATE SET {updates}",
                )
                cursor.execute(sql, params)
        result.unchanged += unchanged
        changed = len(rows) - unchanged
        if not changed:
            return
        result.changed += changed
        # Grades (``record_completions``' rules, decision 0241): completed → passed then (percent as reported,
        # else kept, else 1); not completed → a pass already recorded is kept, else the reported percent (else
        # kept, else 0), not passed. Only rows whose values differ are written, and a grade row is made only for
        # a completion: a course in progress without one is answered by its progress row (decision 0560: of the
        # five rows a first import wrote per record, the grade was one, with two foreign keys to check).
        sql, params = insert_select(
            Grade,
            selected={
                "user_id": "s.user_id",
                "course_id": "s.local_course_id",
                "percent": "CASE WHEN s.completed_at IS NOT NULL THEN COALESCE(s.percent, g.percent, 1) "
                "WHEN g.passed_at IS NOT NULL THEN g.percent ELSE COALESCE(s.percent, g.percent, 0) END",
                "passed_at": "COALESCE(s.completed_at, g.passed_at)",
            },
            source=f"{_STAGE} AS s LEFT JOIN {grade} AS g ON g.user_id = s.user_id "
            "AND g.course_id = s.local_course_id WHERE s.changed AND (s.completed_at IS NOT NULL OR g.id IS NOT NULL)",
            constants={"modified": now},
            tail="ON CONFLICT (user_id, course_id) DO UPDATE SET percent = EXCLUDED.percent, "
            f"passed_at = EXCLUDED.passed_at, modified = EXCLUDED.modified WHERE {grade}.percent <> EXCLUDED.percent "
            f"OR {grade}.passed_at IS DISTINCT FROM EXCLUDED.passed_at RETURNING user_id, course_id",
        )
        cursor.execute(sql, params)
        written = set(cursor.fetchall())
        sql, params = insert_select(
            Certificate,
            selected={"user_id": "user_id", "course_id": "local_course_id", "issued_at": "completed_at"},
            source=f"{_STAGE} WHERE changed AND completed_at IS NOT NULL",
            constants={"grade": CompletionReport.certificate_grade, "modified": now},
            tail="ON CONFLICT (user_id, course_id) DO UPDATE SET grade = EXCLUDED.grade, "
            f"issued_at = EXCLUDED.issued_at, modified = EXCLUDED.modified WHERE {certificate}.grade <> EXCLUDED.grade "
            f"OR {certificate}.issued_at <> EXCLUDED.issued_at RETURNING user_id, course_id",
        )
        cursor.execute(sql, params)
        written.update(cursor.fetchall())
        result.completions_written += len(written)
        result.enrolled += _enroll_missing(connection, cursor, now, plain_inserts=plain_inserts)


def _enroll_missing(connection, cursor, now, *, plain_inserts: bool = True) -> int:
    """Enroll the learners in the provider courses they have progress in and were not enrolled in (source
    "import", started by the learner: nobody enrolled them), in this app and in the LMS, so the channels,
    which send enrollments, send their completions.

    Provider courses are the local LMS's under every backend (decision 0390): on PostgreSQL both enrollments
    are one statement; elsewhere, or with another enrollment backend, the new pairs go to ``enroll_many``."""
    lms_table = connection.ops.quote_name(LmsEnrollment._meta.db_table)

    def enterprise_enrollments(source: str, tail: str) -> tuple[str, list]:
        return insert_select(
            EnterpriseCourseEnrollment,
            selected={"learner_id": "learner_id", "course_id": "course_key"},
            source=source,
            constants={
                "mode": PROVIDER_MODE,
                "source": EnrollmentSource.IMPORT,
                "started_by": StartedBy.LEARNER,  # the learner took the course at the provider on their own
                "program_id": "",
                "created": now,
                "modified": now,
            },
            tail=tail,
        )

    def lms_enrollments(source: str, *, upsert: bool) -> tuple[str, list]:
        """The LMS enrollments of ``source`` (``s``: the staged pairs); ``upsert``: reactivate one that is there."""
        tail = (
            "ON CONFLICT (user_id, course_id) DO UPDATE SET mode = EXCLUDED.mode, is_active = true, "
            f"modified = EXCLUDED.modified WHERE NOT {lms_table}.is_active OR {lms_table}.mode <> EXCLUDED.mode"
        )
        return insert_select(
            LmsEnrollment,
            selected={"user_id": "s.user_id", "course_id": "s.local_course_id"},
            source=source,
            constants={"mode": PROVIDER_MODE, "is_active": True, "created": now, "modified": now},
            tail=tail if upsert else "",
        )

    if connection.vendor == "postgresql" and _provider_enrollments_are_local() and plain_inserts:
        # The same two enrollments, the new ones by plain INSERTs (decision 0580): the enterprise enrollments of the
        # pairs that have none (an index probe each, as the conflict check was), then the LMS enrollments of those,
        # plainly where there is none, by the upsert where one is there (inactive, another mode).
        ece = _present(
            connection.ops.quote_name(EnterpriseCourseEnrollment._meta.db_table),
            (("learner_id", "course_id"), ("learner_id", "course_key")),
        )
        sql, params = enterprise_enrollments(
            f"{_STAGE} AS s WHERE changed AND NOT {ece}", "RETURNING learner_id, course_id"
        )
        lms_new, new_params = lms_enrollments("pairs AS s WHERE NOT s.present", upsert=False)
        lms_kept, kept_params = lms_enrollments("pairs AS s WHERE s.present", upsert=True)
        present = _present(lms_table, (("user_id", "course_id"), ("user_id", "local_course_id")))
        cursor.execute(
            f"WITH new AS ({sql}), pairs AS (SELECT s.user_id, s.local_course_id, {present} AS present "  # noqa: S608
            f"FROM {_STAGE} AS s JOIN new ON new.learner_id = s.learner_id AND new.course_id = s.course_key), "
            f"lms AS ({lms_new}), kept AS ({lms_kept}) SELECT count(*) FROM new",
            [*params, *new_params, *kept_params],
        )
        return cursor.fetchone()[0]
    sql, params = enterprise_enrollments(
        f"{_STAGE} WHERE changed", "ON CONFLICT (learner_id, course_id) DO NOTHING RETURNING learner_id, course_id"
    )
    if connection.vendor == "postgresql" and _provider_enrollments_are_local():
        lms, lms_params = lms_enrollments(
            f"{_STAGE} AS s JOIN new ON new.learner_id = s.learner_id AND new.course_id = s.course_key", upsert=True
        )
        both = f"WITH new AS ({sql}), lms AS ({lms}) SELECT count(*) FROM new"  # noqa: S608 (built above)
        cursor.execute(both, [*params, *lms_params])
        return cursor.fetchone()[0]
    cursor.execute(sql, params)
    new = cursor.fetchall()
    if not new:
        return 0
    learners = {learner_pk for learner_pk, _course in new}
    users = dict(EnterpriseCustomerUser.objects.filter(AnyOf(F("pk"), sorted(learners))).values_list("pk", "user_id"))
    get_enrollment_backend().enroll_many(
        EnrollmentRequest(users[learner_pk], course_id, PROVIDER_MODE) for learner_pk, course_id in sorted(new)
    )
    return len(new)


def _provider_enrollments_are_local() -> bool:
    """True when the enrollment backend keeps provider courses' enrollments in ``lms_local`` (decision 0390)."""
    from enterprise.lms.local.backends import LocalEnrollments
    from enterprise.lms.openedx.backends import OpenEdXEnrollments

    return issubclass(enterprise_settings.ENROLLMENT_BACKEND, LocalEnrollments | OpenEdXEnrollments)
