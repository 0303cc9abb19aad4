"""Linking users to customers, and unlinking them (softly)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.exceptions import LinkConflict
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser

logger = logging.getLogger(__name__)


class LinkStatus(enum.StrEnum):
    LINKED = "linked"
    RELINKED = "relinked"
    ALREADY_LINKED = "already_linked"


@dataclass(frozen=True)
class LinkResult:
    learner: EnterpriseCustomerUser
    status: LinkStatus


def _conflict(user, other_customer_id) -> LinkConflict:
    other = EnterpriseCustomer.objects.filter(pk=other_customer_id).values_list("name", flat=True).first()
    return LinkConflict(
        f"{user.get_username()} is already linked to enterprise customer {other!r}.",
        user_id=user.pk,
        customer_id=other_customer_id,
    )


@transaction.atomic
def link_user(*, customer: EnterpriseCustomer, user) -> LinkResult:
    """Link ``user`` to ``customer``; re-linking an unlinked learner reuses its row.

    Raises ``LinkConflict`` when the user is linked to another customer. The database's partial
    unique index makes this hold under concurrency too: a concurrent link that wins the race
    turns our insert into an IntegrityError, reported as the same conflict.
    """
    current = EnterpriseCustomerUser.objects.filter(user=user, linked=True).first()
    if current is not None:
        if current.customer_id == customer.pk:
            return LinkResult(current, LinkStatus.ALREADY_LINKED)
        raise _conflict(user, current.customer_id)
    try:
        with transaction.atomic():
            learner, created = EnterpriseCustomerUser.objects.get_or_create(customer=customer, user=user)
            if not created:
                learner.linked = True
                learner.unlinked_at = None
                learner.save(update_fields=["linked", "unlinked_at", "modified"])
    except IntegrityError as exc:
        holder = EnterpriseCustomerUser.objects.filter(user=user, linked=True).values_list("customer_id", flat=True)
        holder_id = holder.first()
        if holder_id is None or holder_id == customer.pk:
            raise
        raise _conflict(user, holder_id) from exc
    logger.info("Linked user %s to enterprise customer %s", user.pk, customer.pk)
    return LinkResult(learner, LinkStatus.LINKED if created else LinkStatus.RELINKED)


def unlink_users(*, customer: EnterpriseCustomer, user_ids) -> int:
    """Unlink learners of ``customer`` softly (rows kept with ``unlinked_at``); return how many."""
    return EnterpriseCustomerUser.objects.filter(customer=customer, user_id__in=user_ids, linked=True).update(
        linked=False, unlinked_at=timezone.now(), modified=timezone.now()
    )


def delete_pending_learners(*, customer: EnterpriseCustomer, pending_ids) -> int:
    """Delete pending learners of ``customer`` (and their pending enrollments); return how many."""
    _total, by_model = PendingEnterpriseCustomerUser.objects.filter(customer=customer, pk__in=pending_ids).delete()
    return by_model.get(PendingEnterpriseCustomerUser._meta.label, 0)
