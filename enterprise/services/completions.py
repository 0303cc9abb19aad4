"""Completions reported by other services to the local LMS backend: certificates and grades.

Both are idempotent on (user, course): posting again updates the record instead of adding one,
and the database's unique constraints make that hold under concurrent posts too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.lms.local.models import Certificate, Course, Grade


@dataclass(frozen=True)
class CompletionRecorded:
    user_id: int
    course_id: str
    created: bool


def _upsert(model, *, user_id: int, course: Course, values: dict) -> bool:
    try:
        with transaction.atomic():
            _obj, created = model.objects.update_or_create(user_id=user_id, course=course, defaults=values)
    except IntegrityError:  # a concurrent post created it first: update that one
        # (``modified`` by hand: ``update()`` skips ``auto_now``, and channels resend from it, decision 0091)
        model.objects.filter(user_id=user_id, course=course).update(**values, modified=timezone.now())
        created = False
    return created


def record_certificate(*, user_id: int, course: Course, grade: str, issued_at: datetime.datetime) -> CompletionRecorded:
    created = _upsert(Certificate, user_id=user_id, course=course, values={"grade": grade, "issued_at": issued_at})
    return CompletionRecorded(user_id, course.course_id, created)


def record_grade(
    *, user_id: int, course: Course, percent: Decimal, passed_at: datetime.datetime | None
) -> CompletionRecorded:
    created = _upsert(Grade, user_id=user_id, course=course, values={"percent": percent, "passed_at": passed_at})
    return CompletionRecorded(user_id, course.course_id, created)
