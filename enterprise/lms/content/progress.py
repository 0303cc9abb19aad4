"""Learners' progress at a provider turned into completions of the local LMS, set-based (decision 0241).

Per chunk of records: one query each for the learners (by e-mail), the provider's courses and the stored
progress, then bulk upserts; ``record_completions`` writes grades and certificates of what changed, and
learners are enrolled (source "import") in the courses they have progress in. A rerun of the same
records writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.lms import get_enrollment_backend
from enterprise.lms.content.models import ProviderCourse, ProviderProgress
from enterprise.lms.content.services import (
    CHUNK_SIZE,
    PROVIDER_MODE,
    ProgressImport,
    ProgressRecord,
    RecordError,
    chunks,
)
from enterprise.lms.interfaces import EnrollmentRequest
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services.bulk_sql import AnyOf
from enterprise.services.completions import CompletionReport, record_completions

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
    completed; one not completed writes a grade in progress (``record_completions``: a pass is never taken
    back). Records that change nothing write nothing, so ``transmit_learner_data`` sends only what changed.
    """
    now = now or timezone.now()
    result = ProgressImport()
    for chunk in chunks(records, CHUNK_SIZE):
        _import_progress_chunk(provider, customer_id, chunk, now, result)
    return result


def _moment(record: ProgressRecord):
    return record.last_activity or record.completed_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _import_progress_chunk(provider, customer_id, chunk, now, result: ProgressImport) -> None:
    emails = {record.email.strip().lower() for record in chunk if "\n" not in record.email}
    ids = {record.provider_id for record in chunk}
    links = {
        email: (user_id, learner_pk)
        for email, user_id, learner_pk in EnterpriseCustomerUser.objects.annotate(email_lower=Lower("user__email"))
        .filter(customer_id=customer_id, linked=True)
        .filter(AnyOf(Lower("user__email"), sorted(emails)))
        .values_list("email_lower", "user_id", "pk")
    }
    learners = {email: user_id for email, (user_id, _pk) in links.items()}
    courses = {
        provider_id: (pk, course_id)
        for provider_id, pk, course_id in ProviderCourse.objects.filter(provider=provider)
        .filter(AnyOf(F("provider_id"), sorted(ids)))
        .values_list("provider_id", "pk", "course__course_id")
    }
    latest: dict[tuple[int, int], ProgressRecord] = {}
    for record in chunk:
        email = record.email.strip().lower()
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
    with transaction.atomic():
        existing = {
            (user_id, course_pk): values
            for user_id, course_pk, *values in ProviderProgress.objects.filter(
                AnyOf(F("user_id"), sorted({key[0] for key in latest})),
                AnyOf(F("course_id"), sorted({key[1] for key in latest})),
            ).values_list("user_id", "course_id", *_PROGRESS_FIELDS)
        }
        changed = []
        for key, record in latest.items():
            values = [getattr(record, name) for name in _PROGRESS_FIELDS]
            if record.percent is not None:
                values[3] = record.percent.quantize(Decimal("0.0001"))
            old = existing.get(key)
            if old is not None and [Decimal(v) if i == 3 and v is not None else v for i, v in enumerate(old)] == values:
                result.unchanged += 1
                continue
            changed.append((key, record, values))
        if not changed:
            return
        ProviderProgress.objects.bulk_create(
            [
                ProviderProgress(
                    user_id=key[0],
                    course_id=key[1],
                    customer_id=customer_id,
                    modified=now,
                    **dict(zip(_PROGRESS_FIELDS, values, strict=True)),
                )
                for key, _record, values in changed
            ],
            update_conflicts=True,
            unique_fields=["user", "course"],
            update_fields=[*_PROGRESS_FIELDS, "customer", "modified"],
            batch_size=1000,
        )
        result.changed += len(changed)
        course_ids = dict(courses.values())
        reports = [
            CompletionReport(
                user_id=key[0],
                course_id=course_ids[key[1]],
                passed=record.completed_at is not None,
                percent=values[3],
                completed_at=record.completed_at,
            )
            for key, record, values in changed
        ]
        recorded = record_completions(reports=reports, now=now)
        result.completions_written += recorded.created + recorded.updated
        learner_pks = dict(links.values())
        result.enrolled += _enroll_missing(
            {(learner_pks[report.user_id], report.user_id, report.course_id) for report in reports}
        )


def _enroll_missing(pairs: set[tuple[int, int, str]]) -> int:
    """Enroll the learners in the provider courses they have progress in and were not enrolled in (source
    "import", started by the learner: nobody enrolled them), in this app and in the LMS, so the channels,
    which send enrollments, send their completions."""
    existing = set(
        EnterpriseCourseEnrollment.objects.filter(
            AnyOf(F("learner_id"), sorted({pair[0] for pair in pairs})),
            AnyOf(F("course_id"), sorted({pair[2] for pair in pairs})),
        ).values_list("learner_id", "course_id")
    )
    missing = sorted(pair for pair in pairs if (pair[0], pair[2]) not in existing)
    if not missing:
        return 0
    EnterpriseCourseEnrollment.objects.bulk_create(
        [
            EnterpriseCourseEnrollment(
                learner_id=learner_pk,
                course_id=course_id,
                mode=PROVIDER_MODE,
                source=EnrollmentSource.IMPORT,
                started_by=StartedBy.LEARNER,  # the learner took the course at the provider on their own
            )
            for learner_pk, _user_id, course_id in missing
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    get_enrollment_backend().enroll_many(
        EnrollmentRequest(user_id, course_id, PROVIDER_MODE) for _learner_pk, user_id, course_id in missing
    )
    return len(missing)
