"""Import of provider courses into the catalog, set-based; the records both imports take (progress: ``progress``).

Both take records (plain dataclasses the connectors build from their files and APIs) in chunks:
a bounded number of queries per chunk, whatever its size (tests assert the counts). A record that
cannot be imported is returned as a ``RecordError`` naming where it came from (``source``: the
file and line, or the API page); the others go on (decision 0242). Importing the same data again
writes nothing but the courses' ``last_seen``, and that only once it is older than ``LAST_SEEN_RESOLUTION``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.lms.content import OPENEDX_KEY_NAMESPACES
from enterprise.lms.content.models import Catalog, CatalogCourse, CourseTag, ProviderCourse
from enterprise.lms.local.models import Course, CourseMode, course_id_validator
from enterprise.services.bulk_sql import AnyOf, insert_records, insert_select

CHUNK_SIZE = 2000
#: The mode a provider course is enrolled in (decision 0241): the provider licenses it, there is no paid mode.
PROVIDER_MODE = "audit"
_url = URLValidator(schemes=["https", "http"])
# An http(s) URL with a plain host name: a subset of what ``_url`` accepts, checked in a fifth of the time.
_PLAIN_URL = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?::[0-9]{1,5})?(?:[/?#][^\s]*)?",
)


@dataclass(frozen=True)
class CourseRecord:
    provider_id: str
    title: str
    description: str = ""
    language: str = ""
    library: str = ""
    duration_seconds: int | None = None
    launch_url: str = ""
    tags: tuple[str, ...] = ()
    retired: bool = False
    source: str = ""  # where it was read, for error messages: "hmm12_metadata.csv, line 4"

    def content_hash(self) -> str:
        values = [
            self.title,
            self.description,
            self.language,
            self.library,
            self.duration_seconds,
            self.launch_url,
            sorted({tag.casefold() for tag in self.tags}),
            self.retired,
        ]
        return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


class ProgressRecord(NamedTuple):
    """A learner's progress in a provider course as a connector mapped it. A named tuple (immutable, like the frozen
    dataclass it was): a first import makes a million of them, 0.5 µs each against 3.4 µs (decision 0580)."""

    email: str
    provider_id: str
    first_activity: datetime.datetime | None = None
    last_activity: datetime.datetime | None = None
    time_spent_seconds: int | None = None
    percent: Decimal | None = None  # 0..1
    completed_at: datetime.datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class RecordError:
    source: str
    message: str
    provider_id: str = ""
    email: str = ""


@dataclass
class CourseImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    superseded: int = 0  # a course listed twice: the last listing counts
    errors: list[RecordError] = field(default_factory=list)
    course_ids: list[int] = field(default_factory=list)  # the local courses of the records imported

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass
class ProgressImport:
    changed: int = 0
    unchanged: int = 0
    completions_written: int = 0  # grade and certificate rows written (a course in progress writes none: 0560)
    superseded: int = 0  # an older record of the same learner and course
    enrolled: int = 0  # enrollments made for progress in a course the learner was not enrolled in
    errors: list[RecordError] = field(default_factory=list)


def tags_of(*, customer_id: int, course_ids: Iterable[str]) -> dict[str, list[str]]:
    """``{course id: tags}`` as ``customer_id`` sees them: the provider's tags and the customer's custom tags
    (the catalog interface, shared by every customer, gives the provider's only)."""
    found: dict[str, list[str]] = {}
    rows = (
        CourseTag.objects.filter(Q(customer__isnull=True) | Q(customer_id=customer_id))
        .filter(AnyOf(F("course__course_id"), sorted(set(course_ids))))
        .values_list("course__course_id", "name")
    )
    for course_id, name in rows:
        found.setdefault(course_id, []).append(name)
    return {course_id: sorted(set(names), key=str.casefold) for course_id, names in found.items()}


def course_id_of(provider: str, provider_id: str) -> str:
    """The local catalog's course id of a provider course: ``provider:provider_id``."""
    return f"{provider}:{provider_id}"


def chunks(items: Iterable, size: int):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _check_course(provider: str, record: CourseRecord) -> str:
    """Why the record cannot be imported ("" when it can)."""
    if not record.provider_id.strip():
        return "no provider id"
    if not record.title.strip():
        return "no title"
    if not course_id_validator.regex.search(course_id_of(provider, record.provider_id)):
        return f"the provider id {record.provider_id!r} holds characters a course id cannot"
    if len(course_id_of(provider, record.provider_id)) > 255 or len(record.provider_id) > 200:
        return "the provider id is longer than 200 characters"
    if record.launch_url and not _PLAIN_URL.fullmatch(record.launch_url):
        try:  # what the plain form does not cover (IP addresses, IDN, user info) is left to Django's validator
            _url(record.launch_url)
        except ValidationError:
            return f"the launch URL {record.launch_url!r} is not an http(s) URL"
    return ""


def catalogs_named(*, customer_id: int, names: Sequence[str]) -> list[Catalog]:
    """The customer's catalogs of these names (case-insensitive), created when missing."""
    wanted: dict[str, str] = {}
    for name in names:
        if name.strip():
            wanted.setdefault(name.strip().casefold(), name.strip()[:100])  # the first spelling wins
    if not wanted:
        return []
    Catalog.objects.bulk_create(
        [Catalog(customer_id=customer_id, name=name) for name in wanted.values()], ignore_conflicts=True
    )
    return list(
        Catalog.objects.annotate(lower=Lower("name"))
        .filter(customer_id=customer_id, lower__in=[name.lower() for name in wanted.values()])
        .order_by("name")
    )


def import_courses(
    *,
    provider: str,
    customer_id: int,
    records: Iterable[CourseRecord],
    catalogs: Sequence[Catalog] = (),
    custom_tags: Sequence[str] = (),
    retire_missing: bool = False,
    now: datetime.datetime | None = None,
) -> CourseImport:
    """Create or update the provider's courses, add them to ``catalogs`` and tag them with ``custom_tags``.

    ``retire_missing``: the records are the provider's whole offer for these catalogs (a full file):
    their courses not listed are marked retired. A record with ``retired`` set retires its course.
    """
    if provider in OPENEDX_KEY_NAMESPACES:
        raise ValueError(f"{provider!r} is a namespace of Open edX keys, not a provider's code (decision 0390).")
    now = now or timezone.now()
    result = CourseImport()
    custom = _custom_names(custom_tags)
    for chunk in chunks(records, CHUNK_SIZE):
        _import_course_chunk(provider, customer_id, chunk, catalogs, custom, now, result)
    if retire_missing:
        result.retired += retire_unseen(provider=provider, catalogs=catalogs, since=now, seen=result.course_ids)
    return result


#: ``last_seen`` is kept to this resolution: an import renews it only on courses last seen longer ago, so a rerun
#: soon after the last one writes no course row (decision 0490). Retirement does not read it alone: a run retires
#: the courses it did not list (``retire_unseen``'s ``seen``).
LAST_SEEN_RESOLUTION = datetime.timedelta(hours=1)


def courses_present(*, provider: str, course_ids: list[int]) -> bool:
    """True when the provider's courses of these local ``course_ids`` are all still there (a page skipped as
    unchanged, decision 0455: when one is gone, the page is read and its courses made again)."""
    wanted = sorted(set(course_ids))
    if not wanted:
        return True
    return ProviderCourse.objects.filter(provider=provider).filter(AnyOf(F("course_id"), wanted)).count() == len(wanted)


def renew_last_seen(*, provider: str, course_ids: list[int], now: datetime.datetime) -> int:
    """Set ``last_seen`` of these local courses to ``now`` where it is older than ``LAST_SEEN_RESOLUTION``: one
    statement, no row written for a course seen lately (decision 0490); how many were written."""
    wanted = sorted(set(course_ids))
    if not wanted:
        return 0
    return (
        ProviderCourse.objects.filter(provider=provider, last_seen__lt=now - LAST_SEEN_RESOLUTION)
        .filter(AnyOf(F("course_id"), wanted))
        .update(last_seen=now)
    )


def _custom_names(custom_tags: Sequence[str]) -> list[str]:
    custom: dict[str, str] = {}
    for tag in custom_tags:
        if tag.strip():
            custom.setdefault(tag.strip().casefold(), tag.strip()[:100])
    return sorted(custom.values())


def retire_unseen(
    *, provider: str, catalogs: Sequence[Catalog], since: datetime.datetime, seen: Sequence[int] = ()
) -> int:
    """Mark retired the provider's courses in ``catalogs`` that no import listed since ``since`` and that are not
    among ``seen`` (the local courses this run listed, read or skipped: their ``last_seen`` is kept to
    ``LAST_SEEN_RESOLUTION``); how many."""
    if not catalogs:
        return 0
    in_catalogs = CatalogCourse.objects.filter(catalog__in=catalogs).values("course_id")
    unseen = ProviderCourse.objects.filter(
        provider=provider, retired=False, last_seen__lt=since, course_id__in=in_catalogs
    )
    if seen:
        unseen = unseen.exclude(AnyOf(F("course_id"), sorted(set(seen))))
    return unseen.update(retired=True, retired_at=since)


def _import_course_chunk(provider, customer_id, chunk, catalogs, custom, now, result: CourseImport) -> None:
    latest: dict[str, CourseRecord] = {}
    for record in chunk:
        problem = _check_course(provider, record)
        if problem:
            result.errors.append(RecordError(record.source, problem, provider_id=record.provider_id))
        else:
            result.superseded += record.provider_id in latest
            latest[record.provider_id] = record  # the last listing of a course wins
    if not latest:
        return
    with transaction.atomic():
        # (provider id → (pk, course pk, content hash)): rows, not model instances; only changed ones are loaded
        existing = {
            provider_id: (pk, course_pk, content_hash)
            for provider_id, pk, course_pk, content_hash in ProviderCourse.objects.filter(provider=provider)
            .filter(AnyOf(F("provider_id"), list(latest)))
            .values_list("provider_id", "pk", "course_id", "content_hash")
        }
        new = [record for provider_id, record in latest.items() if provider_id not in existing]
        hashes = {provider_id: record.content_hash() for provider_id, record in latest.items()}
        changed_pks = [row[0] for pid, row in existing.items() if row[2] != hashes[pid]]
        changed = list(ProviderCourse.objects.filter(AnyOf(F("pk"), changed_pks)).select_related("course"))
        result.unchanged += len(latest) - len(new) - len(changed)
        course_pks = _create_courses(provider, new, hashes, now) if new else {}
        result.created += len(new)
        if changed:
            _update_courses(changed, latest, hashes, now)
            result.updated += len(changed)
        for provider_id, row in existing.items():
            course_pks[provider_id] = row[1]
        retagged = {course_pks[record.provider_id]: record for record in new} | {
            row.course_id: latest[row.provider_id] for row in changed
        }
        if retagged:
            _replace_provider_tags(retagged)
        unchanged = [row[1] for pid, row in existing.items() if row[2] == hashes[pid]]
        renew_last_seen(provider=provider, course_ids=unchanged, now=now)
        pks = sorted(course_pks.values())
        result.course_ids.extend(pks)
        _add_to_catalogs(pks, [catalog.pk for catalog in catalogs], now)
        if custom:
            _tag(pks, customer_id, custom)


def _ids_source(connection, name: str, values: list[int]) -> tuple[str, list]:
    """A row source ``name(id)`` of the integers ``values``, bound as one parameter."""
    if connection.vendor == "postgresql":
        return f"unnest(%s::bigint[]) AS {name}(id)", [values]
    return f"(SELECT value AS id FROM json_each(%s)) AS {name}", [json.dumps(values)]  # noqa: S608 (a name of ours)


def _add_to_catalogs(course_pks: list[int], catalog_pks: list[int], now) -> None:
    """Every course in every catalog, those already there left alone: one statement."""
    if not course_pks or not catalog_pks:
        return
    connection = connections[router.db_for_write(CatalogCourse)]
    catalogs, catalog_params = _ids_source(connection, "c", catalog_pks)
    courses, course_params = _ids_source(connection, "v", course_pks)
    sql, params = insert_select(
        CatalogCourse,
        selected={"catalog_id": "c.id", "course_id": "v.id"},
        source=f"{catalogs} CROSS JOIN {courses} WHERE true",
        constants={"added": now},
        tail="ON CONFLICT (catalog_id, course_id) DO NOTHING",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *catalog_params, *course_params])


def _tag(course_pks: list[int], customer_id: int, tags: list[str]) -> None:
    """The customer's custom ``tags`` on every course, those already there left alone: one statement per tag."""
    connection = connections[router.db_for_write(CourseTag)]
    courses, course_params = _ids_source(connection, "v", course_pks)
    for tag in tags:
        sql, params = insert_select(
            CourseTag,
            selected={"course_id": "v.id"},
            source=f"{courses} WHERE true",
            constants={"customer_id": customer_id, "name": tag},
            tail="ON CONFLICT DO NOTHING",  # the partial unique index on (course, customer, lower(name))
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *course_params])


def _course_fields(record: CourseRecord) -> dict:
    hours = None
    if record.duration_seconds is not None:
        hours = (Decimal(record.duration_seconds) / 3600).quantize(Decimal("0.01"))
    return {"title": record.title.strip()[:255], "description": record.description, "effort_hours": hours}


def _create_courses(provider: str, new: list[CourseRecord], hashes: dict[str, str], now) -> dict[str, int]:
    """Local courses (or the ones already there under the same course id), their mode and provider rows: three
    ``INSERT … SELECT`` over JSON and array parameters (``bulk_sql``), no model instance per row."""
    ids = {course_id_of(provider, record.provider_id): record for record in new}
    pks = dict(Course.objects.filter(AnyOf(F("course_id"), list(ids))).values_list("course_id", "pk"))
    created = insert_records(
        Course,
        rows=[
            {"course_id": course_id, **_course_fields(record)}
            for course_id, record in ids.items()
            if course_id not in pks
        ],
        constants={"pacing": Course.Pacing.SELF, "created": now, "modified": now},
        tail="RETURNING course_id, id",
    )
    pks.update(created)
    connection = connections[router.db_for_write(CourseMode)]
    courses, course_params = _ids_source(connection, "v", sorted(pks.values()))
    sql, params = insert_select(
        CourseMode,
        selected={"course_id": "v.id"},
        source=f"{courses} WHERE true",
        constants={"mode": PROVIDER_MODE, "name": "Provider"},
        tail="ON CONFLICT DO NOTHING",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *course_params])
    insert_records(
        ProviderCourse,
        rows=[
            {
                "course_id": pks[course_id],
                "provider_id": record.provider_id,
                "retired_at": now if record.retired else None,
                "content_hash": hashes[record.provider_id],
                **_provider_fields(record),
            }
            for course_id, record in ids.items()
        ],
        constants={"provider": provider, "first_seen": now, "last_seen": now},
    )
    return {record.provider_id: pks[course_id] for course_id, record in ids.items()}


def _provider_fields(record: CourseRecord) -> dict:
    return {
        "language": record.language,
        "library": record.library,
        "duration_seconds": record.duration_seconds,
        "launch_url": record.launch_url,
        "retired": record.retired,
    }


def _update_courses(changed: list[ProviderCourse], latest: dict[str, CourseRecord], hashes, now) -> None:
    courses = []
    for row in changed:
        record = latest[row.provider_id]
        for name, value in _course_fields(record).items():
            setattr(row.course, name, value)
        row.course.modified = now  # bulk_update skips auto_now; channels resend from it (decision 0091)
        courses.append(row.course)
        if record.retired and not row.retired:
            row.retired_at = now
        elif not record.retired:
            row.retired_at = None
        for name, value in _provider_fields(record).items():
            setattr(row, name, value)
        row.content_hash, row.last_seen = hashes[row.provider_id], now
    Course.objects.bulk_update(courses, ["title", "description", "effort_hours", "modified"], batch_size=1000)
    ProviderCourse.objects.bulk_update(
        changed,
        [*_provider_fields(latest[changed[0].provider_id]), "retired_at", "content_hash", "last_seen"],
        batch_size=1000,
    )


def _replace_provider_tags(records_by_course: dict[int, CourseRecord]) -> None:
    CourseTag.objects.filter(customer__isnull=True).filter(AnyOf(F("course_id"), list(records_by_course))).delete()
    tags = []
    for course_pk, record in records_by_course.items():
        names: dict[str, str] = {}
        for tag in record.tags:
            if tag.strip():
                names.setdefault(tag.strip().casefold(), tag.strip()[:100])
        tags.extend(CourseTag(course_id=course_pk, name=name) for name in names.values())
    CourseTag.objects.bulk_create(tags, batch_size=1000)
