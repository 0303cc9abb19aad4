"""Signal receivers: a user who appears with a pending e-mail becomes a linked learner."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from enterprise.services.pending import convert_pending_learner


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="enterprise.link_pending_learner")
def link_pending_learner(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """On user creation or e-mail change, convert a pending learner with that e-mail."""
    if raw:
        return
    if update_fields is not None and "email" not in update_fields:
        return  # e.g. last_login updates: the e-mail did not change
    convert_pending_learner(user=instance)
