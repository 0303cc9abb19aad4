"""The domain's invariants are held by the database itself, not only by Python code."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerIdentityProvider,
    EnterpriseCustomerUser,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)
from tests.factories import (
    CustomerFactory,
    IdentityProviderFactory,
    LearnerFactory,
    PendingLearnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_learner_cannot_be_linked_to_two_customers():
    learner = LearnerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCustomerUser.objects.create(customer=CustomerFactory(), user=learner.user)


def test_bulk_create_cannot_bypass_the_one_customer_rule():
    user = UserFactory()
    first, second = CustomerFactory(), CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCustomerUser.objects.bulk_create(
            [EnterpriseCustomerUser(customer=first, user=user), EnterpriseCustomerUser(customer=second, user=user)]
        )


def test_unlinked_history_does_not_block_linking_elsewhere():
    learner = LearnerFactory()
    learner.unlink()
    other = EnterpriseCustomerUser.objects.create(customer=CustomerFactory(), user=learner.user)
    assert other.linked
    learner.refresh_from_db()
    assert learner.linked is False and learner.unlinked_at is not None


def test_one_row_per_customer_and_user_even_when_unlinked():
    learner = LearnerFactory()
    learner.unlink()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCustomerUser.objects.create(customer=learner.customer, user=learner.user, linked=False)


def test_linked_row_cannot_carry_an_unlink_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        LearnerFactory(unlinked_at=timezone.now())


def test_pending_email_is_unique_case_insensitively_even_through_update():
    customer = CustomerFactory()
    PendingLearnerFactory(customer=customer, user_email="ann@example.com")
    other = PendingLearnerFactory(customer=customer, user_email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        # .update() skips save()'s normalisation: the functional index still refuses it.
        PendingEnterpriseCustomerUser.objects.filter(pk=other.pk).update(user_email="ANN@Example.com")


def test_pending_email_unique_across_customers():
    PendingLearnerFactory(user_email="ann@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingEnterpriseCustomerUser.objects.bulk_create(
            [PendingEnterpriseCustomerUser(customer=CustomerFactory(), user_email="Ann@example.com")]
        )


def test_pending_email_is_normalised_on_save():
    pending = PendingLearnerFactory(user_email="  Ann.Lee@Example.COM ")
    pending.refresh_from_db()
    assert pending.user_email == "ann.lee@example.com"


def test_one_enterprise_enrollment_per_learner_and_course():
    learner = LearnerFactory()
    EnterpriseCourseEnrollment.objects.create(learner=learner, course_id="course-v1:O+C+R", mode="audit")
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCourseEnrollment.objects.create(learner=learner, course_id="course-v1:O+C+R", mode="verified")


def test_one_pending_enrollment_per_pending_learner_and_course():
    pending = PendingLearnerFactory()
    PendingEnrollment.objects.create(pending_learner=pending, course_id="course-v1:O+C+R", mode="audit")
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingEnrollment.objects.create(pending_learner=pending, course_id="course-v1:O+C+R", mode="audit")


def test_identity_provider_belongs_to_one_customer():
    idp = IdentityProviderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCustomerIdentityProvider.objects.create(customer=CustomerFactory(), provider_id=idp.provider_id)
