"""An enterprise enrollment registers its learner to the course's upcoming sessions; unenrolling cancels."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment


@receiver(post_save, sender=EnterpriseCourseEnrollment, dispatch_uid="classroom_enrollment_registers")
def enrollment_saved(sender, instance: EnterpriseCourseEnrollment, raw=False, **kwargs):
    if raw:
        return
    transaction.on_commit(lambda: _sync_enrollment(instance.pk))


def _sync_enrollment(enrollment_pk: int) -> None:
    from integrated_channels.classroom.models import Session
    from integrated_channels.classroom.services.registration import cancel_registration, register_enrolled_learners

    enrollment = EnterpriseCourseEnrollment.objects.select_related("learner").filter(pk=enrollment_pk).first()
    if enrollment is None:
        return
    sessions = Session.objects.filter(
        customer_id=enrollment.learner.customer_id,
        course_id=enrollment.course_id,
        status=Session.Status.SCHEDULED,
        end__gt=timezone.now(),
    )
    for session in sessions:
        if enrollment.enrolled and enrollment.learner.linked:
            register_enrolled_learners(session=session)
        else:
            cancel_registration(session=session, user_id=enrollment.learner.user_id)
