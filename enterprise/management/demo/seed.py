"""Writes the demo data set; repeatable (get_or_create / bulk_create(ignore_conflicts=True)).

The number of queries grows with the number of batches, never with the rows. ``bulk_create``
sends no signals and skips ``save()``: pending e-mails never equal a demo user's e-mail (see
``plans``). Each batch of learners is announced by ``demo_enrollments_seeded``: the consent app
writes its consents (and their first history rows) for them.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from enterprise.app_settings import enterprise_settings
from enterprise.lms.local import models as lms
from enterprise.management.demo.data import (
    COURSE_EFFORT_HOURS,
    COURSE_SKILLS,
    COURSES,
    CUSTOMER_EMAIL_TEMPLATES,
    CUSTOMERS,
    EMAIL_TEMPLATES,
    PROGRAMS,
)
from enterprise.management.demo.plans import LearnerPlan, plan_learner, plan_pending
from enterprise.models import (
    EnrollmentNotificationEmailTemplate,
    EnterpriseCourseEnrollment,
    EnterpriseCustomer,
    EnterpriseCustomerAdmin,
    EnterpriseCustomerIdentityProvider,
    EnterpriseCustomerUser,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)
from enterprise.models.enrollment import EnrollmentSource
from enterprise.signals import SeededEnrollment, demo_enrollments_seeded

BATCH_SIZE = 500  # learners per batch; keeps every IN (...) list under SQLite's 999 parameters
ADMIN_USERNAME = "admin"
#: Acme Corporation's administrator: signs in to the portal (/portal/), not to the admin.
PORTAL_USERNAME, PORTAL_CUSTOMER = "acme-admin", "acme"

# What the summary counts, in the order it is printed (None: the user model; "app.Model": another app's, when
# it is installed).
COUNTED = (
    ("Enterprise customers", EnterpriseCustomer),
    ("Identity providers", EnterpriseCustomerIdentityProvider),
    ("Users", None),
    ("Linked learners", EnterpriseCustomerUser),
    ("Pending learners", PendingEnterpriseCustomerUser),
    ("Enterprise enrollments", EnterpriseCourseEnrollment),
    ("Pending enrollments", PendingEnrollment),
    ("Courses", lms.Course),
    ("Course modes", lms.CourseMode),
    ("Course skills", lms.CourseSkill),
    ("Programs", lms.Program),
    ("LMS enrollments", lms.LmsEnrollment),
    ("Certificates", lms.Certificate),
    ("Grades", lms.Grade),
    ("Data-sharing consents", "consent.DataSharingConsent"),
    ("Email templates", EnrollmentNotificationEmailTemplate),
)


@dataclass(frozen=True)
class SeedResult:
    admin_username: str
    admin_password: str
    admin_url: str
    portal_username: str
    portal_url: str
    counts: dict[str, int]  # rows of each COUNTED table after seeding
    added: dict[str, int]  # rows this run added to it


def admin_url() -> str:
    """The admin's address on this site (``ENTERPRISE["SITE_URL"]``; ``make demo`` sets it from DEMO_ADDRESS)."""
    return enterprise_settings.SITE_URL.rstrip("/") + reverse("admin:index")


def _batches(count: int) -> Iterable[range]:
    """Numbers 1..count in ranges of BATCH_SIZE."""
    for start in range(1, count + 1, BATCH_SIZE):
        yield range(start, min(start + BATCH_SIZE, count + 1))


def _seed_customers() -> dict[str, EnterpriseCustomer]:
    customers = {}
    for demo in CUSTOMERS:
        customer, _created = EnterpriseCustomer.objects.get_or_create(
            slug=demo.slug,
            defaults={
                "name": demo.name,
                "country": demo.country,
                "enable_data_sharing_consent": demo.enable_data_sharing_consent,
            },
        )
        EnterpriseCustomerIdentityProvider.objects.get_or_create(
            provider_id=demo.identity_provider, defaults={"customer": customer, "name": demo.identity_provider_name}
        )
        customers[demo.slug] = customer
    return customers


def _seed_catalog(today: datetime.datetime) -> dict[str, lms.Course]:
    """The ten courses (dates moved relative to today on every run), their modes, skills and two programs."""
    courses = {}
    for demo in COURSES:
        courses[demo.key], _created = lms.Course.objects.update_or_create(
            course_id=demo.course_id,
            defaults={
                "title": demo.title,
                "description": f"{demo.title}: a demo course of the standalone host.",
                "pacing": demo.pacing,
                "start": today + datetime.timedelta(days=demo.start_days),
                "end": None if demo.end_days is None else today + datetime.timedelta(days=demo.end_days),
                "effort_hours": COURSE_EFFORT_HOURS.get(demo.key),
            },
        )
    lms.CourseMode.objects.bulk_create(
        [
            lms.CourseMode(course=courses[demo.key], mode=mode, name=mode.replace("-", " ").title())
            for demo in COURSES
            for mode in demo.modes
        ],
        ignore_conflicts=True,
    )
    lms.CourseSkill.objects.bulk_create(
        [
            lms.CourseSkill(course=courses[key], name=name, level=level)
            for key, skills in COURSE_SKILLS.items()
            for name, level in skills
        ],
        ignore_conflicts=True,
    )
    for demo in PROGRAMS:
        program, _created = lms.Program.objects.get_or_create(
            program_id=demo.program_id, defaults={"title": demo.title}
        )
        for position, key in enumerate(demo.course_keys):
            lms.ProgramCourse.objects.update_or_create(
                program=program, course=courses[key], defaults={"position": position}
            )
    return courses


def _seed_email_templates(customers: dict[str, EnterpriseCustomer]) -> None:
    """The default course and program templates, and the customer templates of the demo."""
    wanted = [(None, kind, texts) for kind, texts in EMAIL_TEMPLATES.items()]
    wanted += [(customers[slug], kind, texts) for (slug, kind), texts in CUSTOMER_EMAIL_TEMPLATES.items()]
    for customer, kind, texts in wanted:
        if EnrollmentNotificationEmailTemplate.objects.filter(customer=customer, template_type=kind).exists():
            continue  # an operator may have edited it: keep theirs
        template = EnrollmentNotificationEmailTemplate(customer=customer, template_type=kind, **texts)
        template.full_clean()  # placeholders checked as in the admin
        template.save()


def _seed_learners(
    plans: list[LearnerPlan],
    *,
    customers: dict[str, EnterpriseCustomer],
    courses: dict[str, lms.Course],
    password: str,
) -> None:
    """One batch: users, linked learners, enrollments (enterprise + LMS), certificates, grades; then
    ``demo_enrollments_seeded`` for the other apps' rows (consents)."""
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [
            user_model(
                username=plan.username,
                email=plan.email,
                first_name=plan.first_name,
                last_name=plan.last_name,
                password=password,
            )
            for plan in plans
        ],
        ignore_conflicts=True,
    )
    user_ids = dict(user_model.objects.filter(username__in=[p.username for p in plans]).values_list("username", "pk"))
    EnterpriseCustomerUser.objects.bulk_create(
        [
            EnterpriseCustomerUser(
                customer=customers[plan.customer.slug],
                user_id=user_ids[plan.username],
                active=plan.active,
                attributes=plan.attributes,
            )
            for plan in plans
        ],
        ignore_conflicts=True,
    )
    learner_ids = {
        (user_id, customer_id): pk
        for pk, user_id, customer_id in EnterpriseCustomerUser.objects.filter(
            user_id__in=user_ids.values(), linked=True
        ).values_list("pk", "user_id", "customer_id")
    }
    rows: dict[type[models.Model], list[models.Model]] = {
        model: [] for model in (EnterpriseCourseEnrollment, lms.LmsEnrollment, lms.Certificate, lms.Grade)
    }
    seeded: list[SeededEnrollment] = []
    for plan in plans:
        customer, user_id = customers[plan.customer.slug], user_ids[plan.username]
        learner_id = learner_ids.get((user_id, customer.pk))
        if learner_id is None:
            continue  # an operator unlinked the learner or linked them elsewhere: leave them alone
        for enrollment in plan.enrollments:
            course, outcome = courses[enrollment.course.key], enrollment.outcome
            rows[EnterpriseCourseEnrollment].append(
                EnterpriseCourseEnrollment(
                    learner_id=learner_id,
                    course_id=course.course_id,
                    mode=enrollment.mode,
                    source=EnrollmentSource.MANUAL,
                    program_id=enrollment.program_id,
                )
            )
            rows[lms.LmsEnrollment].append(lms.LmsEnrollment(user_id=user_id, course=course, mode=enrollment.mode))
            if outcome.certificate_at is not None:
                rows[lms.Certificate].append(
                    lms.Certificate(
                        user_id=user_id,
                        course=course,
                        grade=outcome.certificate_grade,
                        issued_at=outcome.certificate_at,
                    )
                )
            if outcome.percent is not None:
                rows[lms.Grade].append(
                    lms.Grade(user_id=user_id, course=course, percent=outcome.percent, passed_at=outcome.passed_at)
                )
            seeded.append(SeededEnrollment(customer, user_id, course.course_id, outcome.consent))
    for model, objs in rows.items():
        model.objects.bulk_create(objs, ignore_conflicts=True)
    demo_enrollments_seeded.send(sender=_seed_learners, enrollments=seeded)


def _seed_pending(numbers: range, *, customers: dict[str, EnterpriseCustomer]) -> None:
    """One batch of pending learners and their pending enrollments."""
    plans = {plan.email: plan for plan in map(plan_pending, numbers)}
    PendingEnterpriseCustomerUser.objects.bulk_create(
        [
            PendingEnterpriseCustomerUser(customer=customers[plan.customer.slug], user_email=email)
            for email, plan in plans.items()
        ],
        ignore_conflicts=True,
    )
    pending_ids = dict(
        PendingEnterpriseCustomerUser.objects.filter(user_email__in=list(plans)).values_list("user_email", "pk")
    )
    PendingEnrollment.objects.bulk_create(
        [
            PendingEnrollment(
                pending_learner_id=pending_ids[email],
                course_id=enrollment.course.course_id,
                mode=enrollment.mode,
                program_id=enrollment.program_id,
            )
            for email, plan in plans.items()
            if email in pending_ids
            for enrollment in plan.enrollments
        ],
        ignore_conflicts=True,
    )


def portal_url() -> str:
    return enterprise_settings.SITE_URL.rstrip("/") + reverse("enterprise_portal:index")


def _seed_portal_admin(customer: EnterpriseCustomer, password: str) -> str:
    """Create or update Acme's administrator (not staff) with ``password``: the portal's demo user."""
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(
        **{user_model.USERNAME_FIELD: PORTAL_USERNAME}, defaults={"email": "it-admin@acme.example.com"}
    )
    user.is_active, user.is_staff, user.is_superuser = True, False, False
    user.set_password(password)
    user.save()
    EnterpriseCustomerAdmin.objects.get_or_create(customer=customer, user=user)
    return user.get_username()


def _seed_admin(password: str | None) -> tuple[str, str]:
    """Create or update the superuser ``admin``; its password is new on every run unless given."""
    password = password or secrets.token_urlsafe(12)
    user_model = get_user_model()
    admin, _created = user_model.objects.get_or_create(
        **{user_model.USERNAME_FIELD: ADMIN_USERNAME}, defaults={"email": "admin@example.com"}
    )
    admin.is_active = admin.is_staff = admin.is_superuser = True
    admin.set_password(password)
    admin.save()
    return admin.get_username(), password


def count_rows() -> dict[str, int]:
    counted = {}
    for label, model in COUNTED:
        if isinstance(model, str):
            if not apps.is_installed(model.split(".")[0]):
                continue
            model = apps.get_model(model)
        counted[label] = (model or get_user_model())._default_manager.count()
    return counted


def seed_demo(
    *,
    learners: int = 3000,
    pending: int = 500,
    admin_password: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create (or complete) the demo data set; ``progress(n)`` hears of every batch of n (pending) learners."""
    if learners < 0 or pending < 0:
        raise ValueError("learners and pending must not be negative")
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    before = count_rows()
    password = make_password(None)  # demo users cannot log in: one unusable password shared by all
    with transaction.atomic():
        customers = _seed_customers()
        courses = _seed_catalog(today)
        _seed_email_templates(customers)
        for numbers in _batches(learners):
            plans = [plan_learner(number, today) for number in numbers]
            _seed_learners(plans, customers=customers, courses=courses, password=password)
            if progress:
                progress(len(numbers))
        for numbers in _batches(pending):
            _seed_pending(numbers, customers=customers)
            if progress:
                progress(len(numbers))
        username, admin_password = _seed_admin(admin_password)
        portal_username = _seed_portal_admin(customers[PORTAL_CUSTOMER], admin_password)
        if apps.is_installed("enterprise.portal"):  # the portal's Reports show the demo's enrollments at once
            from enterprise.portal.reports import refresh_reports

            refresh_reports(customers[PORTAL_CUSTOMER])
    after = count_rows()
    return SeedResult(
        admin_username=username,
        admin_password=admin_password,
        admin_url=admin_url(),
        portal_username=portal_username,
        portal_url=portal_url() if apps.is_installed("enterprise.portal") else "",
        counts=after,
        added={label: after[label] - before[label] for label in after},
    )
