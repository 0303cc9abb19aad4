"""Signals of the enterprise app, and its receivers: a user who appears with a pending e-mail becomes a
linked learner."""

from typing import NamedTuple

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from enterprise.services.pending import convert_pending_learner


class SeededEnrollment(NamedTuple):
    customer: object  # EnterpriseCustomer
    user_id: int
    course_id: str
    consent: bool | None  # what the learner's plan says they answered to the data-sharing question


#: Sent by the demo seed (``seed_demo``) after each batch of learners with ``enrollments``, a list of
#: ``SeededEnrollment``: the apps above enterprise (``consent``) add their own demo rows to them, so the
#: seed needs none of their models.
demo_enrollments_seeded = Signal()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="enterprise.link_pending_learner")
def link_pending_learner(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """On user creation or e-mail change, convert a pending learner with that e-mail."""
    if raw:
        return
    if update_fields is not None and "email" not in update_fields:
        return  # e.g. last_login updates: the e-mail did not change
    convert_pending_learner(user=instance)
