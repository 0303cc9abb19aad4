"""The records exporters hand to clients, and how their payloads are hashed."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from integrated_channels.integrated_channel.models import TransmissionStatus

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
# The same encoder, made once: ``JSONEncoder.encode`` builds a new C encoder at every call, which was a
# third of the cost of hashing a payload. Same output, byte for byte (no check for circular payloads:
# payloads are JSON data).
_C_CANONICAL = (
    json.encoder.c_make_encoder(None, str, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    if json.encoder.c_make_encoder is not None
    else None
)


def canonical_json(payload: Any) -> str:
    """``payload`` as canonical JSON: sorted keys, no spaces, UTF-8 text, other types as ``str()``."""
    if _C_CANONICAL is None or isinstance(payload, str):
        return _CANONICAL.encode(payload)
    return "".join(_C_CANONICAL(payload, 0))


#: orjson's options for the same bytes as ``canonical_json`` (decision 0505): sorted keys; datetimes, dates, times
#: and dataclasses handed to ``default=str`` as the JSON encoder does, not in orjson's own formats.
_ORJSON_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def payload_hash(
    payload: Any, _dumps=orjson.dumps, _options=_ORJSON_CANONICAL, _sha256=hashlib.sha256, _refused=TypeError
) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces, UTF-8). Called once per record of a
    run, so the bytes come from orjson (a third of the stdlib encoder's cost); they are ``canonical_json``'s
    except where the two format a value differently (floats under 1e-4, NaN: decision 0505). What orjson
    refuses (keys that are not strings, integers over 64 bits) is hashed through ``canonical_json``."""
    try:
        return _sha256(_dumps(payload, default=str, option=_options)).hexdigest()
    except _refused:  # orjson.JSONEncodeError is a TypeError
        return _sha256(canonical_json(payload).encode()).hexdigest()


def epoch_millis(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(slots=True)
class PreviousAttempt:
    """What the audit says of the last attempt for a record."""

    payload_hash: str
    status: str
    attempts: int
    payload: dict | None = None

    @property
    def accepted(self) -> bool:
        return self.status == TransmissionStatus.SENT


@dataclass(slots=True)
class Record:
    """One thing to send: a learner's enrollment (learner data) or a course (content metadata)."""

    course_id: str
    payload: Any
    payload_hash: str
    previous: PreviousAttempt | None = None
    # learner data
    enrollment_id: int | None = None
    learner_id: int | None = None
    user_id: int | None = None
    username: str = ""
    email: str = ""
    remote_id: str = ""
    completed: bool = False
    grade: str = ""
    # assessment-level data: the graded subsection's id (learner data: empty)
    subsection_id: str = ""
    # content metadata
    content_status: str = ""

    @property
    def attempts(self) -> int:
        """The attempt number of this payload (1 for a new or changed payload)."""
        if self.previous is not None and self.previous.payload_hash == self.payload_hash:
            return self.previous.attempts + 1
        return 1

    def label(self) -> str:
        who = self.username or self.remote_id
        what = f"{self.course_id} / {self.subsection_id}" if self.subsection_id else self.course_id
        return f"{who} / {what}" if who else what


class SkipReason:
    """Why a considered record is not sent (keys of ``Run.skip_reasons``)."""

    UNCHANGED = "unchanged"
    NOT_COMPLETE = "not_complete"
    NO_CONSENT = "no_consent"
    NO_REMOTE_ID = "no_remote_id"
    NO_EMAIL = "no_email"
    COURSE_NOT_FOUND = "course_not_found"
    BEFORE_START_DATE = "before_start_date"
    NO_SUBSECTION_GRADES = "no_subsection_grades"
    DRY_RUN = "dry_run"


class FullReason:
    """Why a selection considered every enrollment (``Run.full_selection_reason``)."""

    DISABLED = "change_tracking_off"
    FIRST_RUN = "no_successful_run"
    REQUESTED = "requested"
    START_DATE = "start_date"
    CONFIGURATION_CHANGED = "configuration_changed"
    PERIODIC = "periodic"
    CHANNEL = "channel_cannot_track"
    BACKEND = "backend_cannot_track"
    TOO_MANY_CHANGES = "too_many_changes"


@dataclass
class Selection:
    """What an exporter found: the records to send and the ones skipped (counted by reason)."""

    considered: int = 0
    records: list[Record] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    #: Learner data: only enrollments whose inputs changed since this moment were considered (None: all were).
    since: datetime.datetime | None = None
    #: Learner data: why the exporter considered every enrollment although asked for changes only.
    full_reason: str = ""

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] += count
