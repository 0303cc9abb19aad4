"""Pending learners: turned into linked learners, with their enrollments, when their user appears."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from enterprise.emails import normalize_email
from enterprise.exceptions import EnterpriseError
from enterprise.lms import get_enrollment_backend
from enterprise.lms.interfaces import EnrollmentRequest
from enterprise.models import EnterpriseCourseEnrollment, PendingEnterpriseCustomerUser
from enterprise.services.linking import link_user

logger = logging.getLogger(__name__)


def pending_learners_for_email(email: str):
    """Pending learners for an e-mail, through the functional index on the lowered address."""
    return PendingEnterpriseCustomerUser.objects.alias(email_ci=Lower("user_email")).filter(
        email_ci=normalize_email(email)
    )


class PendingStatus(enum.StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class PendingAddition:
    status: PendingStatus
    pending_id: int
    customer_id: object


def add_pending_learner(*, customer, email: str) -> PendingAddition:
    """Make ``email`` (already validated) a pending learner of ``customer``.

    Reports an address already pending for this customer (``EXISTS``) or for another one
    (``CONFLICT``, with that customer's id); the unique index on the lowered address settles races.
    """
    email = normalize_email(email)
    for _attempt in range(2):
        holder = pending_learners_for_email(email).values_list("pk", "customer_id").first()
        if holder is not None:
            status = PendingStatus.EXISTS if holder[1] == customer.pk else PendingStatus.CONFLICT
            return PendingAddition(status, holder[0], holder[1])
        try:
            with transaction.atomic():
                pending = PendingEnterpriseCustomerUser.objects.create(customer=customer, user_email=email)
        except IntegrityError:
            continue  # a concurrent transaction added it first: read it again
        return PendingAddition(PendingStatus.CREATED, pending.pk, customer.pk)
    raise IntegrityError(f"Pending learner {email} could neither be added nor read.")


class ConversionStatus(enum.StrEnum):
    NOTHING_PENDING = "nothing_pending"
    LINKED = "linked"
    CONFLICT = "conflict"
    FAILED = "failed"


@dataclass
class PendingConversion:
    status: ConversionStatus
    customer_id: object = None
    enrolled: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    error: str = ""


def convert_pending_learner(*, user) -> PendingConversion:
    """Link ``user`` to the customer that has their e-mail pending and materialise their enrollments.

    All of it happens in one transaction: the link, the LMS enrollments (through the enrollment
    backend), the enterprise enrollments and the removal of the pending rows. If the user is
    linked to another customer, or the backend fails, nothing changes and the pending learner
    stays, so nothing is lost. Enrollments the backend refuses one by one (a course that no
    longer exists, a mode no longer offered) are reported in ``failed`` and logged.
    The number of queries does not grow with the number of pending enrollments.
    """
    if not normalize_email(user.email):
        return PendingConversion(ConversionStatus.NOTHING_PENDING)
    try:
        with transaction.atomic():
            pending = pending_learners_for_email(user.email).select_for_update().select_related("customer").first()
            if pending is None:
                return PendingConversion(ConversionStatus.NOTHING_PENDING)
            result = PendingConversion(ConversionStatus.LINKED, customer_id=pending.customer_id)
            learner = link_user(customer=pending.customer, user=user).learner
            enrollments = list(pending.pending_enrollments.all())
            outcome = get_enrollment_backend().enroll_many(
                EnrollmentRequest(user.pk, e.course_id, e.mode) for e in enrollments
            )
            EnterpriseCourseEnrollment.objects.bulk_create(
                [
                    EnterpriseCourseEnrollment(
                        learner=learner,
                        course_id=e.course_id,
                        mode=e.mode,
                        source=e.source,
                        started_by=e.started_by,
                        program_id=e.program_id,
                        paid_amount=e.paid_amount,
                        paid_currency=e.paid_currency,
                        purchased_at=e.purchased_at,
                    )
                    for e in enrollments
                    if (user.pk, e.course_id) not in outcome.failed
                ],
                # an enrollment of this learner that was unenrolled is revived, in the pending mode
                update_conflicts=True,
                unique_fields=["learner", "course_id"],
                # and a purchase made while pending is kept (``Purchase``)
                update_fields=["mode", "unenrolled_at", "modified", "paid_amount", "paid_currency", "purchased_at"],
            )
            pending.delete()
    except EnterpriseError as exc:
        logger.warning("Pending learner %s not converted: %s", normalize_email(user.email), exc)
        status = ConversionStatus.CONFLICT if exc.code == "conflict" else ConversionStatus.FAILED
        return PendingConversion(status, error=exc.message)
    result.enrolled = sorted(cid for _uid, cid in outcome.enrolled)
    result.already_enrolled = sorted(cid for _uid, cid in outcome.already_enrolled)
    result.failed = {cid: str(err) for (_uid, cid), err in outcome.failed.items()}
    if result.failed:
        logger.warning("Pending enrollments of user %s refused by the LMS: %s", user.pk, result.failed)
    return result
