"""LinkedIn Learning answers as the catalog's records: an asset as a ``CourseRecord``, an activity
report element as a ``ProgressRecord``. An element that lacks what is needed fails alone, named by its
page and position (decision 0242)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from enterprise.lms.content.services import CourseRecord, ProgressRecord

PROVIDER = "linkedin"


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
    return datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.UTC)


def progress_of(element: dict, *, source: str) -> ProgressRecord:
    """Time spent is recorded only when LinkedIn reports SECONDS_VIEWED (it may not: the seed's note)."""
    by_type = {item.get("engagementType"): item for item in element.get("activities") or [] if isinstance(item, dict)}
    progress = by_type.get("PROGRESS_PERCENTAGE") or {}
    completions = by_type.get("COMPLETIONS") or {}
    seconds = (by_type.get("SECONDS_VIEWED") or {}).get("engagementValue")
    percent = progress.get("engagementValue")
    engaged = list(by_type.values())
    firsts = [moment for item in engaged if (moment := _moment(item.get("firstEngagedAt")))]
    lasts = [moment for item in engaged if (moment := _moment(item.get("lastEngagedAt")))]
    completed = isinstance(completions.get("engagementValue"), int) and completions["engagementValue"] > 0
    return ProgressRecord(
        email=str((element.get("learnerDetails") or {}).get("email") or ""),
        provider_id=str((element.get("contentDetails") or {}).get("contentUrn") or ""),
        first_activity=min(firsts) if firsts else None,
        last_activity=max(lasts) if lasts else None,
        time_spent_seconds=seconds if isinstance(seconds, int) and seconds >= 0 else None,
        percent=(Decimal(percent) / 100).quantize(Decimal("0.0001")) if isinstance(percent, int | float) else None,
        completed_at=(_moment(completions.get("lastEngagedAt")) or (max(lasts) if lasts else None))
        if completed
        else None,
        source=source,
    )
