"""Consent operations used by views, the API and the channels."""

from __future__ import annotations

from django.db import transaction

from consent.exceptions import NotALearner
from consent.models import DataSharingConsent
from enterprise.models import EnterpriseCustomer


@transaction.atomic
def record_consent(*, customer, user, course_id: str, granted: bool | None) -> DataSharingConsent:
    """Record the learner's answer for a course (history kept); return the current consent."""
    consent, _created = DataSharingConsent.objects.select_for_update().get_or_create(
        customer=customer, user=user, course_id=course_id, defaults={"granted": granted}
    )
    if consent.granted != granted:
        consent.granted = granted
        consent.save()
    return consent


def learner_customer(*, user, customer_id) -> EnterpriseCustomer:
    """The customer ``customer_id`` when ``user`` is one of its linked learners, else ``NotALearner``.

    An unknown customer and one the user is not linked to are refused alike: neither is disclosed.
    """
    customer = EnterpriseCustomer.objects.filter(
        pk=customer_id, learners__user_id=user.pk, learners__linked=True
    ).first()
    if customer is None:
        raise NotALearner(customer_id=customer_id, user_id=user.pk)
    return customer


@transaction.atomic
def record_learner_consent(*, user, customer_id, course_id: str, granted: bool | None) -> DataSharingConsent:
    """The signed-in learner's own answer, for a customer they are linked to (``NotALearner`` otherwise,
    nothing recorded). The consent page and the API's grant and revoke use it (decision 0052)."""
    customer = learner_customer(user=user, customer_id=customer_id)
    return record_consent(customer=customer, user=user, course_id=course_id, granted=granted)


def consent_granted(*, customer, user_id: int, course_id: str) -> bool:
    return DataSharingConsent.objects.filter(
        customer=customer, user_id=user_id, course_id=course_id, granted=True
    ).exists()


def granted_consents(*, customer, user_ids=None) -> set[tuple[int, str]]:
    """Every (user id, course id) pair for which a learner granted ``customer`` consent, in one query
    (only the pairs of ``user_ids`` when given)."""
    consents = DataSharingConsent.objects.filter(customer=customer, granted=True)
    if user_ids is not None:
        consents = consents.filter(user_id__in=user_ids)
    return set(consents.values_list("user_id", "course_id"))


def consents_changed_since(*, customer, since):
    """The users (a ``user_id`` values queryset, for a subquery) whose consent to ``customer`` changed
    since ``since``."""
    return DataSharingConsent.objects.filter(customer=customer, modified__gte=since).values("user_id")
