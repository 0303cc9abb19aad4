"""Small pure helpers the channels' mappings share: a course's page, a learner's score, dates."""

from __future__ import annotations

import datetime
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
    try:
        value = Decimal(str(completion.grade))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and 0 <= value <= 1 else None


def percent(item: LearnerCompletion) -> float | None:
    """The score as a percentage (0 to 100, two decimals), or None when unknown."""
    value = score(item)
    return None if value is None else float(round(value * 100, 2))


def iso_utc(moment: datetime.datetime) -> str:
    """``2026-12-07T04:13:55Z``: seconds, UTC."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when_of(item: LearnerCompletion, now: datetime.datetime) -> datetime.datetime:
    """The date of a record: its completion's, else the enrollment's, else ``now``."""
    completion = item.completion
    return (completion.completed_at if completion.complete else None) or item.enrolled_at or now
