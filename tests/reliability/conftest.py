"""The world the reliability tests walk: two customers, each with learners, pending learners,
enrollments, consents, a configuration of every channel (with known secrets), runs with errors,
and one row of every model the admin registers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.utils import timezone

from enterprise.fields import encrypted_fields
from enterprise.models import EnterpriseCustomerAdmin
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run, RunError
from integrated_channels.integrated_channel.registry import registry
from tests.factories import (
    CertificateFactory,
    ConsentFactory,
    CourseFactory,
    CustomerFactory,
    EmailTemplateFactory,
    EnrollmentFactory,
    IdentityProviderFactory,
    LearnerFactory,
    PendingEnrollmentFactory,
    PendingLearnerFactory,
    UserFactory,
)
from tests.integrated_channels.factories import RemoteIdentityFactory
from tests.reliability.builders import build


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run only with RELIABILITY_SLOW=1 (.ci/run's reliability step)."""
    if os.environ.get("RELIABILITY_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow reliability test: set RELIABILITY_SLOW=1 (run by .ci/run)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# Every string unique to customer A: none may reach a client that must not see A.
MARK = "zq7acme"


@dataclass
class World:
    customer: object
    other_customer: object
    other_admin: object  # administers other_customer only (REST API role, not staff)
    learner: object
    pending: object
    enrollment: object
    configurations: dict = field(default_factory=dict)  # channel code -> configuration of customer
    runs: list = field(default_factory=list)
    secrets: dict = field(default_factory=dict)  # (model label, field) -> clear value
    objects: dict = field(default_factory=dict)  # model -> one saved row

    def markers(self) -> list[str]:
        """Strings only customer A's data holds."""
        return [
            str(self.customer.uuid),
            self.customer.name,
            self.learner.user.username,
            self.learner.user.email,
            self.pending.user_email,
            f"remote-{MARK}",
        ]


def _configuration(code, customer, secrets):
    model = registry.get(code).get_configuration_model()
    return build(model, secrets=secrets, customer=customer, active=True, **_special_fields(model, secrets))


GUID_FIELDS = ("tenant_id", "client_id", "organizer_id")


def _special_fields(model, secrets) -> dict:
    """Fields a generic row cannot guess (a model-level rule outside the database)."""
    if model._meta.label == "django_celery_beat.PeriodicTask":
        from django_celery_beat.models import IntervalSchedule

        return {"interval": build(IntervalSchedule, secrets=secrets, period=IntervalSchedule.DAYS)}
    if model._meta.label == "enterprise.Price":  # an ISO 4217 currency, a positive amount (constraints)
        return {"currency": "USD", "amount": "10.00", "content_type": "course"}
    if model._meta.label == "classroom.TeamsConnection":  # the tenant, client and organizer ids are GUIDs
        return {name: f"{n:08d}-0000-4000-8000-000000000000" for n, name in enumerate(GUID_FIELDS, 1)}
    if model._meta.label == "enterprise.PortalAction":  # an HTTP status and an action (constraints)
        return {"status_code": 200, "action": "learners:link"}
    if model._meta.label == "workday.WorkdayWorker":  # set by the import only (not editable), never empty
        return {"worker_uuid": "built-worker-uuid"}
    return {}


@pytest.fixture
def world(db) -> World:
    secrets: dict = {}
    customer = CustomerFactory(name=f"Acme {MARK}", slug=f"acme-{MARK}", enable_data_sharing_consent=True)
    other = CustomerFactory(name="Globex", slug="globex")
    other_admin = UserFactory(username="globex-admin")
    EnterpriseCustomerAdmin.objects.create(customer=other, user=other_admin)
    idp = IdentityProviderFactory(customer=customer, provider_id=f"idp-{MARK}")
    course = CourseFactory(course_id="course-v1:Org+Reliability+2027")  # the catalog is shared
    learner = LearnerFactory(customer=customer, user=UserFactory(username=f"alice-{MARK}"))
    LearnerFactory(customer=other, user=UserFactory(username="bob-globex"))
    RemoteIdentityFactory(identity_provider=idp, user=learner.user, remote_id=f"remote-{MARK}")
    pending = PendingLearnerFactory(customer=customer, user_email=f"carol-{MARK}@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id)
    enrollment = EnrollmentFactory(learner=learner, course_id=course.course_id)
    ConsentFactory(customer=customer, user=learner.user, course_id=course.course_id)
    CertificateFactory(user=learner.user, course=course, grade="0.9", issued_at=timezone.now())
    EmailTemplateFactory(customer=customer, subject_line=f"Welcome {MARK} {{course_name}}")
    configurations = {channel.code: _configuration(channel.code, customer, secrets) for channel in registry.all()}
    runs = []
    for configuration in configurations.values():
        now = timezone.now()
        run = Run.objects.create(
            configuration=configuration,
            customer=customer,
            channel=configuration.channel,
            kind=registry.get(configuration.channel).all_operations()[0].code,  # an operation it offers
            status=Run.Status.COMPLETED_WITH_ERRORS,
            started_at=now,
            heartbeat_at=now,
            finished_at=now,
            selected=1,
            failed=1,
        )
        RunError.objects.create(
            run=run,
            outcome=RunError.Outcome.choices[0][0],
            enrollment=enrollment,
            username=learner.user.username,
            course_id=course.course_id,
            message=f"refused {MARK}",
        )
        runs.append(run)
    world = World(
        customer=customer,
        other_customer=other,
        other_admin=other_admin,
        learner=learner,
        pending=pending,
        enrollment=enrollment,
        configurations=configurations,
        runs=runs,
        secrets=secrets,
    )
    # Every other model with an encrypted field (SAML credentials, tokens, a new channel...)
    for model, _name in encrypted_fields():
        if issubclass(model, ChannelConfiguration) or model.objects.exists():
            continue
        kwargs = {}
        field_ = next((f for f in model._meta.concrete_fields if f.name == "configuration"), None)
        if field_ is not None:  # a configuration of the model the key points at (a channel's own, or any)
            target = field_.related_model
            kwargs["configuration"] = next(c for c in configurations.values() if isinstance(c, target))
        build(model, secrets=secrets, **kwargs)
    # One row of every model the admin shows, so that every object URL has an object.
    for model in admin.site._registry:
        if not model.objects.exists():
            build(model, secrets=secrets, **_special_fields(model, secrets))
        world.objects[model] = model.objects.order_by("pk").first()
    return world
