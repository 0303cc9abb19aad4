"""Factories for channel configurations, remote identities and ready-made learners with completions."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from enterprise.models import LearnerRemoteIdentity
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
from integrated_channels.testing.models import TestChannelConfiguration
from tests.factories import (
    CertificateFactory,
    ConsentFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    GradeFactory,
    IdentityProviderFactory,
    LearnerFactory,
)

SECRET = "s3cr3t-client-secret-DO-NOT-LEAK"


class TestChannelConfigurationFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestChannelConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True


class SAPConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SAPSuccessFactorsConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9/"
    company_id = factory.Sequence(lambda n: f"ACME{n}")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = SECRET
    sap_user_id = "sfadmin"
    calls_per_minute = 0


class RemoteIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnerRemoteIdentity

    identity_provider = factory.SubFactory(IdentityProviderFactory)
    user = factory.SubFactory("tests.factories.UserFactory")
    remote_id = factory.Sequence(lambda n: f"sap-user-{n}")


def completed_enrollment(
    customer,
    *,
    course=None,
    remote_id: str | None = None,
    identity_provider=None,
    consent: bool | None = True,
    complete: bool = True,
    learner=None,
):
    """A linked learner of ``customer`` enrolled in an instructor-paced ``course``, with a
    certificate when ``complete``, a granted consent when ``consent`` and a remote id when given."""
    course = course or CourseFactory()
    learner = learner or LearnerFactory(customer=customer)
    enrollment = EnrollmentFactory(learner=learner, course_id=course.course_id)
    if complete:
        CertificateFactory(
            user=learner.user, course=course, grade="0.91", issued_at=timezone.now() - datetime.timedelta(days=2)
        )
    else:
        GradeFactory(user=learner.user, course=course, percent="0.40", passed_at=None)
    if consent is not None:
        ConsentFactory(customer=customer, user=learner.user, course_id=course.course_id, granted=consent)
    if remote_id:
        idp = identity_provider or customer.identity_providers.first() or IdentityProviderFactory(customer=customer)
        RemoteIdentityFactory(identity_provider=idp, user=learner.user, remote_id=remote_id)
    return enrollment
