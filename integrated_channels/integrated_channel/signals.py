"""A pending learner who becomes linked gets the attributes a user import (any connector) stored for them."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomerUser


@receiver(post_save, sender=EnterpriseCustomerUser, dispatch_uid="integrated_channel.apply_pending_attributes")
def apply_pending_attributes(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    from integrated_channels.integrated_channel.models import PendingLearnerAttributes

    email = normalize_email(instance.user.email)
    stored = PendingLearnerAttributes.objects.filter(customer_id=instance.customer_id, email=email).first()
    if stored is None:
        return
    instance.attributes = {**(instance.attributes or {}), **stored.attributes}
    EnterpriseCustomerUser.objects.filter(pk=instance.pk).update(attributes=instance.attributes)
    stored.delete()
