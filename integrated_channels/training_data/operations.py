"""The Training Data Access runner: rebuild the customer's public catalog read model, set-based."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from enterprise.lms.local import models as lms
from enterprise.services.prices import all_prices_for
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.training_data.models import CatalogEntry, SkillFacet

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
                language=getattr(course, "language", "") or "",
                pacing=course.pacing,
                start=course.start,
                end=course.end,
                price_amount=quote.amount if quote else None,
                price_currency=quote.currency if quote else "",
                document=" ".join([course.title, course.description, *course_skills]),
                built_at=now,
            )
        )
    program_courses: dict[int, list[int]] = {}
    for program_pk, course_pk in lms.ProgramCourse.objects.order_by("program_id", "position", "pk").values_list(
        "program_id", "course_id"
    ):
        program_courses.setdefault(program_pk, []).append(course_pk)
    course_hours = {entry.content_id: entry.duration_hours for entry in entries}
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
    runs.finish_run(run, status=Run.Status.COMPLETED, selected=len(entries), sent=len(entries))
    return run


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
