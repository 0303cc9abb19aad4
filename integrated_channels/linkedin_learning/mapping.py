"""LinkedIn Learning answers as the catalog's records: an asset as a ``CourseRecord``, an activity
report element as a ``ProgressRecord``. An element that lacks what is needed fails alone, named by its
page and position (decision 0242)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from enterprise.lms.content.services import CourseRecord, ProgressRecord
from integrated_channels.integrated_channel.services.content_runs import Batch

if TYPE_CHECKING:
    from integrated_channels.linkedin_learning.client import AnswerPage

PROVIDER = "linkedin"
_PERCENT = Decimal("0.0001")
#: The whole percents LinkedIn sends, as the fractions ``Decimal`` division gives, made once (decision 0580).
_FRACTIONS = {whole: (Decimal(whole) / 100).quantize(_PERCENT) for whole in range(101)}
_UTC = datetime.UTC
_from_timestamp = datetime.datetime.fromtimestamp


def _value(node) -> str:
    return ((node or {}).get("value") or "").strip() if isinstance(node, dict) else ""


def course_of(asset: dict, *, source: str) -> CourseRecord:
    details = asset.get("details") or {}
    library, tags = "", []
    for item in details.get("classifications") or []:
        classification = item.get("associatedClassification") or {}
        name = _value(classification.get("name"))
        if classification.get("type") == "LIBRARY" and not library:
            library = name
        elif classification.get("type") in {"TOPIC", "SUBJECT", "SKILL"} and name:
            tags.append(name)
    duration = details.get("timeToComplete") or {}
    seconds = duration.get("duration") if duration.get("unit") == "SECOND" else None
    if duration.get("unit") == "MINUTE" and isinstance(duration.get("duration"), int):
        seconds = duration["duration"] * 60
    title = asset.get("title") or {}
    return CourseRecord(
        provider_id=str(asset.get("urn") or ""),
        title=_value(title),
        description=_value(details.get("description")),
        language=((title.get("locale") or {}).get("language") or "").lower(),
        library=library,
        duration_seconds=seconds if isinstance(seconds, int) and seconds >= 0 else None,
        launch_url=((details.get("urls") or {}).get("webLaunch") or "").strip(),
        tags=tuple(tags),
        retired=details.get("availability") == "RETIRED",
        source=source,
    )


def _moment(milliseconds) -> datetime.datetime | None:
    if not isinstance(milliseconds, int) or milliseconds <= 0:
        return None
    return _from_timestamp(milliseconds / 1000, _UTC)


def _fraction(percent) -> Decimal | None:
    if not isinstance(percent, int | float):
        return None
    fraction = _FRACTIONS.get(percent)
    return fraction if fraction is not None else (Decimal(percent) / 100).quantize(_PERCENT)


def progress_of(element: dict, *, source: str) -> ProgressRecord:
    """Time spent is recorded only when LinkedIn reports SECONDS_VIEWED (it may not: the seed's note).

    One pass over the activities, the earliest first and latest last engagement kept as milliseconds and
    turned into dates once (a million report elements are mapped per import: decision 0455)."""
    by_type = {}
    for item in element.get("activities") or ():
        if isinstance(item, dict):
            by_type[item.get("engagementType")] = item
    first = last = None
    for item in by_type.values():
        ms = item.get("firstEngagedAt")
        if isinstance(ms, int) and ms > 0 and (first is None or ms < first):
            first = ms
        ms = item.get("lastEngagedAt")
        if isinstance(ms, int) and ms > 0 and (last is None or ms > last):
            last = ms
    last_activity = _moment(last)
    completions = by_type.get("COMPLETIONS") or {}
    seconds = (by_type.get("SECONDS_VIEWED") or {}).get("engagementValue")
    percent = (by_type.get("PROGRESS_PERCENTAGE") or {}).get("engagementValue")
    completed_at = None
    if isinstance(completions.get("engagementValue"), int) and completions["engagementValue"] > 0:
        ms = completions.get("lastEngagedAt")  # mostly the latest engagement: its date is made once
        completed_at = (last_activity if ms == last and last is not None else _moment(ms)) or last_activity
    learner, content = element.get("learnerDetails") or {}, element.get("contentDetails") or {}
    return ProgressRecord(
        email=str(learner.get("email") or ""),
        provider_id=str(content.get("contentUrn") or ""),
        first_activity=_moment(first),
        last_activity=last_activity,
        time_spent_seconds=seconds if isinstance(seconds, int) and seconds >= 0 else None,
        percent=_fraction(percent),
        completed_at=completed_at,
        source=source,
    )


def course_batch(number: int, page: AnswerPage, *, remote_calls: int = 0) -> Batch:
    """Asset page ``number`` as a batch whose elements are built and mapped only when a run reads it."""

    def load(batch: Batch) -> None:
        batch.courses = [
            course_of(asset, source=f"asset page {number}, item {index}")
            for index, asset in enumerate(page.elements(), 1)
        ]

    return Batch(
        name=f"page {number}",
        key=f"asset page {number}",
        fingerprint=page.fingerprint,
        load=load,
        remote_calls=remote_calls,
    )


def progress_batch(number: int, page: AnswerPage, *, remote_calls: int = 0) -> Batch:
    """Activity report page ``number`` as a batch whose elements are built and mapped only when a run reads it."""

    def load(batch: Batch) -> None:
        batch.progress = [
            progress_of(element, source=f"report page {number}, item {index}")
            for index, element in enumerate(page.elements(), 1)
        ]

    return Batch(
        name=f"report page {number}",
        key=f"report page {number}",
        fingerprint=page.fingerprint,
        load=load,
        remote_calls=remote_calls,
    )
