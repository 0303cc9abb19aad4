"""The per-row baselines' shared step: link one learner the straightforward way."""

from __future__ import annotations


def baseline_link_one(customer, email: str, attributes: dict | None = None) -> str | None:
    """The per-row baselines' step for one learner, the straightforward way.

    Looks the user up with ``iexact``; one user: links it (``link_user``) and merges
    ``attributes`` into the learner's; no user and no pending learner for the address: adds one
    and merges ``attributes`` into its stored pending attributes. Returns ``"linked"``,
    ``"pending"``, or None when it did neither (a link conflict, several users, already pending).
    """
    from django.contrib.auth import get_user_model

    from enterprise.exceptions import EnterpriseError
    from enterprise.models import PendingEnterpriseCustomerUser
    from enterprise.services.linking import link_user
    from enterprise.services.pending import pending_learners_for_email

    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(users) == 1:
        try:
            learner = link_user(customer=customer, user=users[0]).learner
        except EnterpriseError:
            return None
        if attributes:
            learner.attributes = {**(learner.attributes or {}), **attributes}
            learner.save(update_fields=["attributes"])
        return "linked"
    if users or pending_learners_for_email(email).exists():
        return None
    PendingEnterpriseCustomerUser.objects.create(customer=customer, user_email=email)
    if attributes:
        from integrated_channels.integrated_channel.models import PendingLearnerAttributes

        stored, _created = PendingLearnerAttributes.objects.get_or_create(customer=customer, email=email)
        stored.attributes = {**stored.attributes, **attributes}
        stored.save(update_fields=["attributes", "modified"])
    return "pending"
