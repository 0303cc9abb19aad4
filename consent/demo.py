"""The consent app's part of the demo data set (``manage.py seed_demo``): a data-sharing consent for each
seeded enrollment of a customer that asks for consent, answered as the learner's plan says, with its first
history row (``bulk_create`` skips ``DataSharingConsent.save()``, which writes it otherwise)."""

from __future__ import annotations

from django.dispatch import receiver

from consent.models import DataSharingConsent, DataSharingConsentHistory
from enterprise.signals import SeededEnrollment, demo_enrollments_seeded


@receiver(demo_enrollments_seeded, dispatch_uid="consent.seed_demo_consents")
def seed_demo_consents(sender, enrollments: list[SeededEnrollment], **kwargs) -> None:
    DataSharingConsent.objects.bulk_create(
        [
            DataSharingConsent(customer=e.customer, user_id=e.user_id, course_id=e.course_id, granted=e.consent)
            for e in enrollments
            if e.customer.enable_data_sharing_consent
        ],
        ignore_conflicts=True,
    )
    new = DataSharingConsent.objects.filter(
        user_id__in={e.user_id for e in enrollments}, history__isnull=True
    ).values_list("pk", "granted")
    DataSharingConsentHistory.objects.bulk_create(
        [DataSharingConsentHistory(consent_id=pk, granted=granted) for pk, granted in new]
    )
