"""The three host-LMS interfaces over the local tables, each answer in a bounded number of queries."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, DateTimeField, F, Lookup, Q, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from enterprise.exceptions import CourseNotFound, InvalidCourseMode, ProgramNotFound
from enterprise.lms import interfaces
from enterprise.lms.local import models
from enterprise.services.bulk_sql import AnyOf, insert_rows


def _content_installed() -> bool:
    """Provider courses (``enterprise.lms.content``, decision 0240) live beside these tables when installed."""
    return apps.is_installed("enterprise.lms.content")


def _provider_fields(course: models.Course, tags: Iterable[str]) -> dict:
    provider = getattr(course, "provider_course", None) if _content_installed() else None
    if provider is None:
        return {}
    return {
        "provider": provider.provider,
        "provider_id": provider.provider_id,
        "launch_url": provider.launch_url,
        "language": provider.language,
        "library": provider.library,
        "tags": tuple(sorted(set(tags), key=str.casefold)),
        "retired": provider.retired,
    }


def _to_course(
    course: models.Course, modes: Iterable[str], skills: Iterable[interfaces.Skill], tags: Iterable[str] = ()
) -> interfaces.Course:
    return interfaces.Course(
        course_id=course.course_id,
        title=course.title,
        pacing=course.pacing,
        start=course.start,
        end=course.end,
        modes=tuple(sorted(modes)),
        description=course.description,
        skills=tuple(sorted(skills, key=lambda skill: (skill.name.casefold(), skill.level))),
        effort_hours=course.effort_hours,
        **{"language": course.language, **_provider_fields(course, tags)},
    )


def _modes_and_skills(rows: list[models.Course]):
    """``(course pk, kind, name, level)`` of the courses' modes, skills and tags, in one query (a UNION)."""
    text = CharField()
    modes = (
        models.CourseMode.objects.filter(course__in=rows)
        .order_by()
        .annotate(kind=Value("mode", output_field=text), no_level=Value("", output_field=text))
        .values_list("course_id", "kind", "mode", "no_level")
    )
    skills = (
        models.CourseSkill.objects.filter(course__in=rows)
        .order_by()
        .annotate(kind=Value("skill", output_field=text))
        .values_list("course_id", "kind", "name", "level")
    )
    if not _content_installed():
        return modes.union(skills, all=True)
    from enterprise.lms.content.models import CourseTag

    # The provider's own tags only: a customer's custom tags are that customer's (``content.services.tags_of``)
    tags = (
        CourseTag.objects.filter(course__in=rows, customer__isnull=True)
        .order_by()
        .annotate(kind=Value("tag", output_field=text), no_level=Value("", output_field=text))
        .values_list("course_id", "kind", "name", "no_level")
    )
    return modes.union(skills, tags, all=True)


def _courses_by_id(course_ids: Iterable[str]) -> dict[str, interfaces.Course]:
    rows = models.Course.objects.filter(course_id__in=set(course_ids))
    rows = list(rows.select_related("provider_course") if _content_installed() else rows)
    if not rows:
        return {}
    modes, skills, tags = defaultdict(list), defaultdict(list), defaultdict(list)
    for course_pk, kind, name, level in _modes_and_skills(rows):
        if kind == "mode":
            modes[course_pk].append(name)
        elif kind == "tag":
            tags[course_pk].append(name)
        else:
            skills[course_pk].append(interfaces.Skill(name=name, level=level))
    return {row.course_id: _to_course(row, modes[row.pk], skills[row.pk], tags[row.pk]) for row in rows}


class LocalCatalog(interfaces.CatalogBackend):
    """The local tables' courses; ``providers_only=True``: only provider courses (the part the Open edX
    catalog merges into its answers, decision 0390)."""

    def get_course(self, course_id: str) -> interfaces.Course:
        course = _courses_by_id([course_id]).get(course_id)
        if course is None:
            raise CourseNotFound(f"No course with id {course_id!r}.", course_id=course_id)
        return course

    def get_courses(self, course_ids: Iterable[str]) -> dict[str, interfaces.Course]:
        return _courses_by_id(course_ids)

    def get_program(self, program_id: str) -> interfaces.Program:
        try:
            program = models.Program.objects.get(program_id=uuid.UUID(str(program_id)))
        except (ValueError, models.Program.DoesNotExist) as exc:
            raise ProgramNotFound(f"No program with id {program_id!r}.", program_id=program_id) from exc
        course_ids = (
            models.ProgramCourse.objects.filter(program=program)
            .order_by("position", "id")
            .values_list("course__course_id", flat=True)
        )
        return interfaces.Program(program_id=str(program.program_id), title=program.title, course_ids=tuple(course_ids))

    def search_courses(self, query: str, *, limit: int = 20) -> list[interfaces.Course]:
        """Courses offered now: a provider's retired courses and those of a hidden catalog are left out."""
        found = models.Course.objects.filter(Q(course_id__icontains=query) | Q(title__icontains=query))
        if _content_installed():
            found = found.exclude(provider_course__retired=True).exclude(catalog_entries__catalog__hidden=True)
            if self.options.get("providers_only"):
                found = found.filter(provider_course__isnull=False)
        elif self.options.get("providers_only"):
            return []
        ids = found.values_list("course_id", flat=True)[:limit]
        found = _courses_by_id(list(ids))
        return [found[key] for key in sorted(found)]

    def search_programs(self, query: str, *, limit: int = 20) -> list[interfaces.Program]:
        condition = Q(title__icontains=query) | Q(program_id__icontains=query)
        programs = list(models.Program.objects.filter(condition).order_by("title", "id")[:limit])
        courses = defaultdict(list)
        for program_pk, course_id in (
            models.ProgramCourse.objects.filter(program__in=programs)
            .order_by("position", "id")
            .values_list("program_id", "course__course_id")
        ):
            courses[program_pk].append(course_id)
        return [
            interfaces.Program(program_id=str(p.program_id), title=p.title, course_ids=tuple(courses[p.pk]))
            for p in programs
        ]

    def courses_changed_since(self, *, since, now) -> set[str]:
        return set(
            models.Course.objects.filter(Q(modified__gte=since) | Q(end__gte=since, end__lte=now)).values_list(
                "course_id", flat=True
            )
        )


class LocalEnrollments(interfaces.EnrollmentBackend):
    def enroll_many(self, requests: Iterable[interfaces.EnrollmentRequest]) -> interfaces.EnrollResult:
        wanted: dict[interfaces.UserCourse, str] = {(r.user_id, r.course_id): r.mode for r in requests}
        result = interfaces.EnrollResult()
        if not wanted:
            return result
        courses = {c.course_id: c for c in models.Course.objects.filter(course_id__in={k[1] for k in wanted})}
        modes = defaultdict(set)
        for course_pk, mode in models.CourseMode.objects.filter(course__in=courses.values()).values_list(
            "course_id", "mode"
        ):
            modes[course_pk].add(mode)
        valid = {}
        for (uid, cid), mode in wanted.items():
            course = courses.get(cid)
            if course is None:
                result.failed[(uid, cid)] = CourseNotFound(f"No course with id {cid!r}.", course_id=cid)
            elif mode not in modes[course.pk]:
                result.failed[(uid, cid)] = InvalidCourseMode(mode, modes[course.pk], course_id=cid)
            else:
                valid[(uid, course.pk)] = (cid, mode)
        if not valid:
            return result
        with transaction.atomic():
            existing = {
                (uid, course_pk): (row_pk, is_active, mode)
                for row_pk, uid, course_pk, is_active, mode in models.LmsEnrollment.objects.filter(
                    AnyOf(F("user_id"), {k[0] for k in valid}), course_id__in={k[1] for k in valid}
                ).values_list("pk", "user_id", "course_id", "is_active", "mode")
            }
            to_update, to_create = [], []
            now = timezone.now()  # bulk_update skips auto_now, so ``modified`` is set by hand
            for (uid, course_pk), (cid, mode) in valid.items():
                row = existing.get((uid, course_pk))
                if row is None:
                    to_create.append((uid, course_pk, mode))
                    result.enrolled.add((uid, cid))
                elif row[1]:
                    result.already_enrolled.add((uid, cid))
                    if row[2] != mode:
                        to_update.append(models.LmsEnrollment(pk=row[0], mode=mode, is_active=True, modified=now))
                else:
                    to_update.append(models.LmsEnrollment(pk=row[0], mode=mode, is_active=True, modified=now))
                    result.enrolled.add((uid, cid))
            # A concurrent enrollment of the same pair is overwritten with this mode, never dropped. The rows go
            # as a few array parameters, not as model instances (bulk_create's per-value work: decision 0530).
            insert_rows(
                models.LmsEnrollment,
                columns=["user_id", "course_id", "mode"],
                rows=to_create,
                constants={"is_active": True},
                conflict="ON CONFLICT (user_id, course_id) DO UPDATE SET mode = excluded.mode, "
                "is_active = excluded.is_active, modified = excluded.modified",
            )
            models.LmsEnrollment.objects.bulk_update(to_update, ["mode", "is_active", "modified"], batch_size=1000)
        return result

    def unenroll(self, *, user_ids: Iterable[int], course_id: str) -> int:
        return models.LmsEnrollment.objects.filter(
            course__course_id=course_id, user_id__in=set(user_ids), is_active=True
        ).update(is_active=False, modified=timezone.now())

    def unenroll_many(self, pairs: Iterable[interfaces.UserCourse]) -> interfaces.UnenrollResult:
        """One query for the active enrollments of all pairs, one update."""
        wanted = set(pairs)
        result = interfaces.UnenrollResult()
        if not wanted:
            return result
        active = {
            (uid, cid): pk
            for pk, uid, cid in models.LmsEnrollment.objects.filter(
                user_id__in={uid for uid, _ in wanted},
                course__course_id__in={cid for _, cid in wanted},
                is_active=True,
            ).values_list("pk", "user_id", "course__course_id")
        }
        found = {pair: pk for pair, pk in active.items() if pair in wanted}
        models.LmsEnrollment.objects.filter(pk__in=found.values()).update(is_active=False, modified=timezone.now())
        result.unenrolled = set(found)
        result.not_enrolled = wanted - result.unenrolled
        return result

    def list_enrollments(self, *, user_id: int) -> list[interfaces.LMSEnrollment]:
        rows = (
            models.LmsEnrollment.objects.filter(user_id=user_id, is_active=True)
            .order_by("course__course_id")
            .values_list("course__course_id", "mode")
        )
        return [interfaces.LMSEnrollment(user_id=user_id, course_id=cid, mode=mode) for cid, mode in rows]


class _OneOf(Lookup):
    """``column IN (values)`` for values already of the column's type (ints, strings), without Django's
    per-value preparation (related-field normalisation of ``user_id__in`` cost a sixth of a channel run's
    selection at 100,000 enrollments). On PostgreSQL the values travel as one array parameter
    (``= ANY(%s)``): a query of a few thousand placeholders costs more to build and parse than its rows."""

    lookup_name = "one_of"
    prepare_rhs = False
    semi_join = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            # Typed as the column: an array of another type (the driver guesses smallint[] for small ids)
            # makes each comparison a cast, and the planner then filters row by row instead of hashing.
            array_type = self.lhs.output_field.cast_db_type(connection)
            if all(type(value) is int for value in values):
                # ids as the array's text: the driver's array dumper is Python code, a tenth of a report's
                # selection at 100,000 enrollments (decision 0521)
                values = "{" + ",".join(map(str, values)) + "}"
            if self.semi_join:
                return f"{lhs} IN (SELECT unnest(%s::{array_type}[]))", [*lhs_params, values]
            return f"{lhs} = ANY(%s::{array_type}[])", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


class _AmongMany(_OneOf):
    """``_OneOf`` for thousands of values (a report chunk's learners): on PostgreSQL a semi-join on the
    unnested array, which the planner answers with index look-ups (``user_id, course_id`` is unique);
    ``= ANY`` of 2,500 ids made it scan the whole certificate table for each chunk, 6 times the time
    (decision 0521)."""

    lookup_name = "among_many"
    semi_join = True


def _utc(text: str | datetime.datetime | None) -> datetime.datetime | None:
    """A timestamp read as text (see ``_rows_for_pairs``): ISO 8601, UTC when it names no offset."""
    if not isinstance(text, str):
        return text  # read as a timestamp (USE_TZ off), or NULL
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def _pairs_query(queryset, wanted: set, *fields, course: str = "course__course_id"):
    """The query of ``_rows_for_pairs``: ``(user_id, course_id, *fields)`` of ``queryset`` for users x courses."""
    as_text = settings.USE_TZ  # stored in UTC: the text is UTC (SQLite: no offset; PostgreSQL's session is UTC)
    columns = [
        (Cast(f[0], output_field=TextField()) if as_text else f[0]) if isinstance(f, tuple) else f for f in fields
    ]
    return (
        queryset.filter(
            _AmongMany(F("user_id"), sorted({int(k[0]) for k in wanted})),
            _OneOf(F(course), sorted({str(k[1]) for k in wanted})),
        )
        .order_by()
        .values_list("user_id", course, *columns)
    )


def _rows_for_pairs(model, keys, *fields) -> list[tuple]:
    """Rows ``(user_id, course_id, *fields)`` of ``model`` for the (user id, course id) pairs, in one query.

    The query selects users x courses (two lists of ids, index friendly) and the pairs that were not
    asked for are dropped here. A field given as ``("name", _utc)`` is a timestamp: it is read as text
    and parsed by ``datetime.fromisoformat`` (C code), because the database drivers' timestamp loaders
    are Python code that cost a tenth of a channel run's selection at 100,000 enrollments.
    """
    wanted = keys if isinstance(keys, set | frozenset) else set(keys)
    if not wanted:
        return []
    return [row for row in _pairs_query(model.objects.all(), wanted, *fields) if row[:2] in wanted]


def _grade_rows(keys) -> list[tuple]:
    """Rows ``(user_id, course_id, percent, passed_at)`` of the pairs' grades, in one query. With provider
    courses installed, a pair without a grade row is answered by its provider progress (decision 0560: a
    progress import writes a grade row only for a completion, or where one exists; the percent of a course in
    progress stays on the progress row), as a grade not passed of the reported percent (0 when not reported)."""
    wanted = keys if isinstance(keys, set | frozenset) else set(keys)
    if not wanted or not _content_installed():
        return _rows_for_pairs(models.Grade, wanted, "percent", ("passed_at", _utc))
    from enterprise.lms.content.models import ProviderProgress

    percent = models.Grade._meta.get_field("percent")
    grades = _pairs_query(
        models.Grade.objects.annotate(from_progress=Value(False)),
        wanted,
        "percent",
        ("passed_at", _utc),
        "from_progress",
    )
    progress = _pairs_query(
        ProviderProgress.objects.annotate(
            in_progress=Coalesce("percent", Value(Decimal(0), output_field=percent)),
            no_pass=Value(None, output_field=DateTimeField()),
            from_progress=Value(True),
        ),
        wanted,
        "in_progress",
        ("no_pass", _utc),
        "from_progress",
        course="course__course__course_id",
    )
    found: dict[tuple, tuple] = {}
    for *row, from_progress in grades.union(progress, all=True):
        key = (row[0], row[1])
        if key in wanted and not (from_progress and key in found):
            found[key] = tuple(row)
    return list(found.values())


class LocalCompletions(interfaces.CompletionBackend):
    def get_certificates(self, keys):
        return {
            (uid, cid): interfaces.Certificate(uid, cid, grade, _utc(issued))
            for uid, cid, grade, issued in _rows_for_pairs(models.Certificate, keys, "grade", ("issued_at", _utc))
        }

    def get_grades(self, keys):
        return {
            (uid, cid): interfaces.Grade(uid, cid, percent, _utc(passed))
            for uid, cid, percent, passed in _grade_rows(keys)
        }

    def completion_columns(self, *, user: str, course: str, now: datetime.datetime, timestamp=str):
        """The completion inputs of each row of a caller's query, joined to it rather than asked per pair
        (PostgreSQL: ``LATERAL``, one unique-index probe per row and table; decision 0555). ``LIMIT 1`` (the
        pair is unique anyway) keeps the planner from flattening the subqueries into joins, which it answered
        with a sequential scan of the whole table per chunk (as ``= ANY`` did, decision 0521).

        ``user`` and ``course`` are the SQL of the row's user id and course id (text); ``timestamp`` makes
        the SQL of a timestamp column's value (e.g. its ISO text). Returns ``(columns, joins, params)``:
        five columns, the certificate's grade and ``issued_at``, the grade's ``percent`` and ``passed_at``
        (NULL when there is none), and whether that pass is as of ``now``; the caller applies the rules
        (``completion.rules_of``) and must agree with ``completions_for``.
        """
        quote = connection.ops.quote_name
        course_table, certificate_table, grade_table = (
            quote(model._meta.db_table) for model in (models.Course, models.Certificate, models.Grade)
        )
        columns = (
            f"lc_cert.grade, {timestamp('lc_cert.issued_at')}, lc_grade.percent, {timestamp('lc_grade.passed_at')}, "
            "lc_grade.passed_at <= %s"
        )
        joins = (  # table names and the caller's column SQL, no values
            f"LEFT JOIN {course_table} lc_course ON lc_course.course_id = {course} "  # noqa: S608
            f"LEFT JOIN LATERAL (SELECT grade, issued_at FROM {certificate_table} "
            f"WHERE user_id = {user} AND course_id = lc_course.id LIMIT 1) lc_cert ON true "
            f"LEFT JOIN LATERAL (SELECT percent, passed_at FROM {grade_table} "
            f"WHERE user_id = {user} AND course_id = lc_course.id LIMIT 1) lc_grade ON true"
        )
        if _content_installed():
            # As ``get_grades`` (``_grade_rows``, decision 0560): a pair without a grade row is answered by its
            # provider progress, a grade not passed of the reported percent (0 when not reported). A scalar
            # subquery inside the CASE (a grade row's percent is never NULL), probed only for the rows without one.
            from enterprise.lms.content.models import ProviderCourse, ProviderProgress

            progress_table, provider_table = (
                quote(model._meta.db_table) for model in (ProviderProgress, ProviderCourse)
            )
            progress = (
                f"(SELECT COALESCE(lc_progress.percent, 0) FROM {progress_table} lc_progress "  # noqa: S608
                f"JOIN {provider_table} lc_provider ON lc_provider.id = lc_progress.course_id "
                f"WHERE lc_progress.user_id = {user} AND lc_provider.course_id = lc_course.id LIMIT 1)"
            )
            columns = columns.replace(
                "lc_grade.percent,",
                f"CASE WHEN lc_grade.percent IS NULL THEN {progress} ELSE lc_grade.percent END,",
                1,
            )
        return columns, joins, [now]

    def get_subsection_grades(self, keys):
        """One query: the pairs' subsection grades, in the course's order."""
        found: dict[interfaces.UserCourse, list[interfaces.SubsectionGrade]] = {}
        rows = _rows_for_pairs(
            models.SubsectionGrade, keys, "position", "subsection_id", "title", "percent", ("modified", _utc)
        )
        for uid, cid, _position, subsection_id, title, percent, modified in sorted(rows, key=lambda r: r[:4]):
            found.setdefault((uid, cid), []).append(
                interfaces.SubsectionGrade(uid, cid, subsection_id, title, percent, _utc(modified))
            )
        return found

    def changed_since(self, *, since, now) -> set[interfaces.UserCourse]:
        """Certificates, grades, course feedback and provider progress written since ``since``, passes dated in
        the window, LMS enrollments changed."""
        fields = ("user_id", "course__course_id")
        certificates = models.Certificate.objects.filter(modified__gte=since).values_list(*fields)
        grades = models.Grade.objects.filter(
            Q(modified__gte=since) | Q(passed_at__gte=since, passed_at__lte=now)
        ).values_list(*fields)
        enrollments = models.LmsEnrollment.objects.filter(modified__gte=since).values_list(*fields)
        feedback = models.CourseFeedback.objects.filter(modified__gte=since).values_list(*fields)
        more = [enrollments, feedback]
        if _content_installed():  # the percent of a provider course in progress is on its progress row (0560)
            from enterprise.lms.content.models import ProviderProgress

            more.append(
                ProviderProgress.objects.filter(modified__gte=since).values_list("user_id", "course__course__course_id")
            )
        return set(certificates.union(grades, *more))  # one query

    def record_feedback(self, *, user_id: int, course_id: str, rating: int, comment: str = "") -> bool:
        """Create or replace the (user, course) feedback; a concurrent first post updates the winner's row."""
        course = models.Course.objects.filter(course_id=course_id).first()
        if course is None:
            raise CourseNotFound(f"No course with id {course_id!r}.", course_id=course_id)
        values = {"rating": rating, "comment": comment}
        try:
            with transaction.atomic():
                _row, created = models.CourseFeedback.objects.update_or_create(
                    user_id=user_id, course=course, defaults=values
                )
        except IntegrityError:  # the unique (user, course) constraint: another post created it first
            models.CourseFeedback.objects.filter(user_id=user_id, course=course).update(
                **values, modified=timezone.now()
            )
            created = False
        return created

    def get_feedback(self, keys):
        rows = _rows_for_pairs(models.CourseFeedback, keys, "rating", "comment", ("modified", _utc))
        return {
            (uid, cid): interfaces.Feedback(uid, cid, rating, comment, _utc(modified))
            for uid, cid, rating, comment, modified in rows
        }
