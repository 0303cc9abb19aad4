"""The Training Data Access runner: rebuild the customer's public catalog read model, set-based."""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urljoin

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from enterprise.lms.local import models as lms
from enterprise.lms.local.images import MAX_BYTES, sniff
from enterprise.services.prices import all_prices_for
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.training_data.models import CatalogEntry, CatalogSummary, SkillFacet
from integrated_channels.training_data.services import count_and_facets, forget_state, summarise_terms

logger = logging.getLogger(__name__)
BUILD = "catalog_build"
BATCH = 2000


def build_catalog(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    """Replace the customer's read model with the catalog as it is now, in one transaction.

    A fixed number of queries whatever the size of the catalog, plus one insert per ``BATCH`` rows.
    """
    run = run or runs.start_run(configuration=configuration, kind=BUILD, trigger=trigger, api_user=api_user)
    customer_id = configuration.customer_id
    now = timezone.now()
    course_prices = all_prices_for(customer_id, "course")
    program_prices = all_prices_for(customer_id, "program")
    skills: dict[int, list[str]] = {}
    for course_pk, name in lms.CourseSkill.objects.order_by("course_id", "name").values_list("course_id", "name"):
        skills.setdefault(course_pk, []).append(name)
    entries: list[CatalogEntry] = []
    pk_to_course_id: dict[int, str] = {}
    images = CdnImages(configuration)
    instructors, sessions = _classroom(customer_id, now)
    buy_urls = _buy_urls(customer_id)
    for course in lms.Course.objects.order_by("pk").iterator(chunk_size=BATCH):
        pk_to_course_id[course.pk] = course.course_id
        course_skills = skills.get(course.pk, [])
        quote = course_prices.get(course.course_id)
        entries.append(
            CatalogEntry(
                customer_id=customer_id,
                kind=CatalogEntry.Kind.COURSE,
                content_id=course.course_id,
                title=course.title,
                description=course.description,
                skills=course_skills,
                duration_hours=course.effort_hours,
                language=course.language,
                pacing=course.pacing,
                start=course.start,
                end=course.end,
                price_amount=quote.amount if quote else None,
                price_currency=quote.currency if quote else "",
                image_url=images.url_of(course.image) if course.image else "",
                buy_url=buy_urls.get(course.course_id, "") if quote else "",
                instructors=instructors.get(course.course_id, []),
                sessions=sessions.get(course.course_id, []),
                document=" ".join(
                    [course.title, course.description, *course_skills, *instructors.get(course.course_id, [])]
                ),
                built_at=now,
            )
        )
    program_courses: dict[int, list[int]] = {}
    for program_pk, course_pk in lms.ProgramCourse.objects.order_by("program_id", "position", "pk").values_list(
        "program_id", "course_id"
    ):
        program_courses.setdefault(program_pk, []).append(course_pk)
    course_hours = {entry.content_id: entry.duration_hours for entry in entries}
    course_language = {entry.content_id: entry.language for entry in entries}
    for program in lms.Program.objects.order_by("pk").iterator(chunk_size=BATCH):
        course_ids = [pk_to_course_id[pk] for pk in program_courses.get(program.pk, []) if pk in pk_to_course_id]
        program_skills = sorted({name for pk in program_courses.get(program.pk, []) for name in skills.get(pk, [])})
        hours = [course_hours[c] for c in course_ids]
        quote = program_prices.get(str(program.program_id))
        entries.append(
            CatalogEntry(
                customer_id=customer_id,
                kind=CatalogEntry.Kind.PROGRAM,
                content_id=str(program.program_id),
                title=program.title,
                skills=program_skills,
                duration_hours=sum(hours) if hours and all(h is not None for h in hours) else None,
                course_ids=course_ids,
                price_amount=quote.amount if quote else None,
                price_currency=quote.currency if quote else "",
                buy_url=buy_urls.get(str(program.program_id), "") if quote else "",
                instructors=sorted({name for c in course_ids for name in instructors.get(c, [])}, key=str.casefold),
                language=_one({course_language[c] for c in course_ids}),
                document=" ".join([program.title, *program_skills]),
                built_at=now,
            )
        )
    with transaction.atomic():
        CatalogEntry.objects.filter(customer_id=customer_id).delete()
        created = CatalogEntry.objects.bulk_create(entries, batch_size=BATCH)
        # PostgreSQL and SQLite (3.35+) return the new ids from a bulk insert
        SkillFacet.objects.bulk_create(
            [
                SkillFacet(entry_id=entry.pk, customer_id=customer_id, name=name)
                for entry in created
                for name in entry.skills
            ],
            batch_size=BATCH,
        )
        _number(customer_id)
        count, facets = count_and_facets(CatalogEntry.objects.filter(customer_id=customer_id))
        CatalogSummary.objects.update_or_create(
            customer_id=customer_id, defaults={"built_at": now, "count": count, "facets": facets}
        )
        summarise_terms(customer_id)
        slug = configuration.customer.slug
        forget_state(slug)  # the new version reaches the API at once (and again after the commit)
        transaction.on_commit(lambda: forget_state(slug))
    runs.finish_run(run, status=Run.Status.COMPLETED, selected=len(entries), sent=len(entries))
    return run


def _number(customer_id) -> None:
    """Each entry's ``position`` in the listing's order (title, content id), in one UPDATE: the database
    orders, so a page of positions is the page ``ORDER BY title, content_id`` would give."""
    ranked = (
        CatalogEntry.objects.filter(customer_id=customer_id)
        .annotate(n=Window(RowNumber(), order_by=[F("title").asc(), F("content_id").asc()]))
        .values_list("pk", "n")
    )
    inner, params = ranked.query.sql_with_params()
    table = connection.ops.quote_name(CatalogEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH r(id, n) AS ({inner}) UPDATE {table} SET position = r.n FROM r WHERE {table}.id = r.id",  # noqa: S608
            params,
        )


def _one(values: set[str]) -> str:
    """A program's language: its courses' one language, else none (empty)."""
    values.discard("")
    return values.pop() if len(values) == 1 else ""


class CdnImages:
    """Course images copied to the configured storage (``STORAGES["default"]``: the bucket the CDN serves)
    under ``catalog-images/<sha256>.<ext>`` and named by their CDN URL (the seed: "the images of all the
    courses ... get migrated to the CDN"). Content-addressed: an image already there is not written again,
    a changed image gets a new URL (no stale CDN cache). Without a CDN base URL, the storage's own URL."""

    PREFIX = "catalog-images/"

    def __init__(self, configuration):
        self.base = configuration.cdn_base_url
        self.done: dict[str, str] = {}

    def url_of(self, image) -> str:
        if image.name in self.done:
            return self.done[image.name]
        try:
            with image.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError:
            logger.warning("Course image %s cannot be read: left out of the public catalog.", image.name)
            return ""
        kind = sniff(data[:16])
        if kind is None or len(data) > MAX_BYTES:
            logger.warning("Course image %s is not a PNG, JPEG or GIF up to 5 MB: left out.", image.name)
            return ""
        name = f"{self.PREFIX}{hashlib.sha256(data).hexdigest()}.{kind[1]}"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
        url = urljoin(self.base if self.base.endswith("/") else self.base + "/", name) if self.base else ""
        self.done[image.name] = url or default_storage.url(name)
        return self.done[image.name]


def _classroom(customer_id, now) -> tuple[dict[str, list[str]], dict[str, list[dict]]]:
    """Instructors (display names only) and upcoming scheduled sessions with seats, per course; 3 queries."""
    from django.apps import apps

    if not apps.is_installed("integrated_channels.classroom"):
        return {}, {}
    from integrated_channels.classroom.models import Registration, Session

    upcoming = (
        Session.objects.filter(customer_id=customer_id, status=Session.Status.SCHEDULED, end__gt=now)
        .annotate(
            registered=Count("registrations", filter=Q(registrations__status=Registration.Status.REGISTERED)),
            waitlisted=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)),
        )
        .order_by("course_id", "start", "pk")
    )
    sessions: dict[str, list[dict]] = {}
    for course_id, title, start, end, zone, capacity, registered, waitlisted in upcoming.values_list(
        "course_id", "title", "start", "end", "time_zone", "capacity", "registered", "waitlisted"
    ):
        sessions.setdefault(course_id, []).append(
            {
                "title": title,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "time_zone": zone,
                "seats": capacity,
                "seats_left": max(capacity - registered, 0) if capacity is not None else None,
                "waitlisted": waitlisted,
            }
        )
    names: dict[str, set[str]] = {}
    through = Session.instructors.through
    for course_id, first, last, username in through.objects.filter(
        session__customer_id=customer_id, session__status=Session.Status.SCHEDULED
    ).values_list("session__course_id", "user__first_name", "user__last_name", "user__username"):
        names.setdefault(course_id, set()).add(f"{first} {last}".strip() or username)
    return {c: sorted(n, key=str.casefold) for c, n in names.items()}, sessions


def _buy_urls(customer_id) -> dict[str, str]:
    """The store's product page of each SKU the customer's active Commerce connection exported (the seed's
    Buy now: a training is not for sale until the store has it)."""
    from django.apps import apps

    if not apps.is_installed("integrated_channels.adobe_commerce"):
        return {}
    from integrated_channels.adobe_commerce.models import ExportedProduct

    urls: dict[str, str] = {}
    for product in (
        ExportedProduct.objects.filter(configuration__customer_id=customer_id, configuration__active=True)
        .select_related("configuration")
        .order_by("configuration_id")
    ):
        urls.setdefault(product.sku, product.product_url())
    return urls


def test_connection(configuration) -> ConnectionTest:
    """Nothing remote to reach: check the settings and say what the catalog holds."""
    try:
        origins = configuration.origins()
    except Exception as exc:  # a ValidationError from the stored text
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    count = CatalogEntry.objects.filter(customer_id=configuration.customer_id).count()
    if not origins:
        return ConnectionTest(
            ok=True, message=f"{count} entries; no allowed origin yet: browsers on other sites cannot read the API."
        )
    return ConnectionTest(ok=True, message=f"{count} entries; readable from {', '.join(origins)}.", found=origins)


test_connection.__test__ = False
