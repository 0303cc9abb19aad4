"""Data-sharing consent: one answer per (customer, user, course), its history, and the services."""

from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from consent.models import DataSharingConsent, DataSharingConsentHistory
from consent.services import consent_granted, record_consent
from tests.factories import ConsentFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

COURSE_ID = "course-v1:Org+C1+2027"


def history(consent):
    return list(consent.history.order_by("changed_at", "id").values_list("granted", flat=True))


# Uniqueness


def test_one_consent_per_customer_user_and_course_in_the_database():
    consent = ConsentFactory(course_id=COURSE_ID)

    with pytest.raises(IntegrityError), transaction.atomic():
        DataSharingConsent.objects.create(customer=consent.customer, user=consent.user, course_id=COURSE_ID)


def test_the_same_user_may_consent_per_course_and_per_customer():
    consent = ConsentFactory(course_id=COURSE_ID)
    DataSharingConsent.objects.create(customer=consent.customer, user=consent.user, course_id="course-v1:Org+C2+2027")
    DataSharingConsent.objects.create(customer=CustomerFactory(), user=consent.user, course_id=COURSE_ID)

    assert DataSharingConsent.objects.filter(user=consent.user).count() == 3


# History


def test_history_starts_with_the_answer_at_creation():
    consent = ConsentFactory(granted=None)

    assert history(consent) == [None]


def test_history_appends_every_change_of_the_answer():
    consent = ConsentFactory(granted=None)

    consent.granted = True
    consent.save()
    consent.granted = False
    consent.save()

    assert history(consent) == [None, True, False]


def test_saving_without_a_change_appends_no_history():
    consent = ConsentFactory(granted=True)

    consent.save()
    consent.granted = True
    consent.save()

    assert history(consent) == [True]


def test_change_is_measured_against_the_database_not_the_instance():
    consent = ConsentFactory(granted=True)
    stale = DataSharingConsent.objects.get(pk=consent.pk)
    consent.granted = False
    consent.save()

    stale.granted = False  # already False in the database
    stale.save()

    assert history(consent) == [True, False]


def test_saving_other_fields_only_appends_no_history():
    consent = ConsentFactory(granted=True)

    consent.granted = False  # changed in memory, but not saved
    consent.save(update_fields=["modified"])

    assert DataSharingConsent.objects.get(pk=consent.pk).granted is True
    assert history(consent) == [True]


def test_a_failed_history_write_rolls_back_the_answer():
    consent = ConsentFactory(granted=True)
    consent.granted = False

    with (
        mock.patch.object(DataSharingConsentHistory.objects, "create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        consent.save()

    assert DataSharingConsent.objects.get(pk=consent.pk).granted is True
    assert history(consent) == [True]


def test_history_belongs_to_its_own_consent():
    first = ConsentFactory(granted=True)
    second = ConsentFactory(granted=False)
    first.granted = False
    first.save()

    assert history(first) == [True, False]
    assert history(second) == [False]


# Services


def test_record_consent_creates_the_consent_with_history():
    customer, user = CustomerFactory(), UserFactory()

    consent = record_consent(customer=customer, user=user, course_id=COURSE_ID, granted=True)

    assert consent.pk is not None
    assert (consent.customer, consent.user, consent.course_id, consent.granted) == (customer, user, COURSE_ID, True)
    assert history(consent) == [True]


def test_record_consent_updates_the_existing_answer():
    customer, user = CustomerFactory(), UserFactory()
    first = record_consent(customer=customer, user=user, course_id=COURSE_ID, granted=True)

    second = record_consent(customer=customer, user=user, course_id=COURSE_ID, granted=False)

    assert second.pk == first.pk
    assert DataSharingConsent.objects.get(pk=first.pk).granted is False
    assert history(second) == [True, False]


def test_record_consent_with_the_same_answer_changes_nothing():
    customer, user = CustomerFactory(), UserFactory()
    record_consent(customer=customer, user=user, course_id=COURSE_ID, granted=True)

    consent = record_consent(customer=customer, user=user, course_id=COURSE_ID, granted=True)

    assert DataSharingConsent.objects.count() == 1
    assert history(consent) == [True]


def test_record_consent_can_reset_to_not_asked():
    consent = ConsentFactory(granted=True)

    record_consent(customer=consent.customer, user=consent.user, course_id=consent.course_id, granted=None)

    consent.refresh_from_db()
    assert consent.granted is None
    assert history(consent) == [True, None]


def test_consent_granted_is_true_only_for_a_granted_answer():
    customer = CustomerFactory()
    granted, declined, unasked = UserFactory.create_batch(3)
    record_consent(customer=customer, user=granted, course_id=COURSE_ID, granted=True)
    record_consent(customer=customer, user=declined, course_id=COURSE_ID, granted=False)
    record_consent(customer=customer, user=unasked, course_id=COURSE_ID, granted=None)

    assert consent_granted(customer=customer, user_id=granted.pk, course_id=COURSE_ID) is True
    assert consent_granted(customer=customer, user_id=declined.pk, course_id=COURSE_ID) is False
    assert consent_granted(customer=customer, user_id=unasked.pk, course_id=COURSE_ID) is False


def test_consent_granted_is_false_without_any_answer():
    assert consent_granted(customer=CustomerFactory(), user_id=UserFactory().pk, course_id=COURSE_ID) is False


def test_consent_granted_is_scoped_to_customer_and_course():
    consent = ConsentFactory(granted=True, course_id=COURSE_ID)

    assert consent_granted(customer=CustomerFactory(), user_id=consent.user_id, course_id=COURSE_ID) is False
    assert consent_granted(customer=consent.customer, user_id=consent.user_id, course_id="course-v1:X+Y+Z") is False
    assert consent_granted(customer=consent.customer, user_id=consent.user_id, course_id=COURSE_ID) is True


def test_consent_granted_follows_a_withdrawal():
    consent = ConsentFactory(granted=True)

    record_consent(customer=consent.customer, user=consent.user, course_id=consent.course_id, granted=False)

    assert consent_granted(customer=consent.customer, user_id=consent.user_id, course_id=consent.course_id) is False
