"""Small pure helpers the channels' mappings share: a course's page, a learner's score, dates."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal, InvalidOperation

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion


def course_url(course_id: str) -> str:
    """The course's page on this platform (``LMS_ROOT_URL`` + ``COURSE_URL_PATH``)."""
    return channel_settings.LMS_ROOT_URL.rstrip("/") + channel_settings.COURSE_URL_PATH.format(course_id=course_id)


def score(item: LearnerCompletion) -> Decimal | None:
    """The learner's score from 0 to 1: the grade's percent, else a certificate grade that is a number."""
    completion = item.completion
    if completion.percent is not None:
        return Decimal(completion.percent)
    return _grade_score(str(completion.grade))


@functools.lru_cache(maxsize=4096)
def _grade_score(grade: str) -> Decimal | None:
    """A certificate grade as a score (cached: a run sees few distinct grades, decision 0425)."""
    try:
        value = Decimal(grade)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and 0 <= value <= 1 else None


def percent(item: LearnerCompletion) -> float | None:
    """The score as a percentage (0 to 100, two decimals), or None when unknown."""
    completion = item.completion
    value = Decimal(completion.percent) if completion.percent is not None else _grade_score(str(completion.grade))
    return None if value is None else _percent_of(value)


@functools.lru_cache(maxsize=16384)
def _percent_of(value: Decimal) -> float:
    return float(round(value * 100, 2))


def iso_utc(moment: datetime.datetime) -> str:
    """``2026-12-07T04:13:55Z``: seconds, UTC."""
    if moment.tzinfo is not datetime.UTC:  # the database's datetimes are UTC already: no conversion
        moment = moment.astimezone(datetime.UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def when_of(item: LearnerCompletion, now: datetime.datetime) -> datetime.datetime:
    """The date of a record: its completion's, else the enrollment's, else ``now``."""
    completion = item.completion
    return (completion.completed_at if completion.complete else None) or item.enrolled_at or now
