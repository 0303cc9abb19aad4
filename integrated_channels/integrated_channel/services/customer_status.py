"""The status of one customer's channels, as its administrators see it in the portal.

Read only, always scoped by the customer in the query itself: the recent runs of its connections,
the records that failed in them, and what was sent for one of its learners (the transmission
audit of that learner's enrollments, with the errors recorded for them). Each function runs a
fixed number of queries, bounded by its ``limit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer, EnterpriseCustomerUser
from integrated_channels.integrated_channel.models import (
    ChannelConfiguration,
    LearnerDataTransmissionAudit,
    Run,
    RunError,
)

#: Runs listed on the page, newest first.
RECENT_RUNS = 20
#: Failed records of those runs listed on the page (the run page's error report has them all).
RECENT_FAILURES = 50
#: Transmission rows of one learner listed (one per connection and enrollment).
LEARNER_ROWS = 200


def connections(customer: EnterpriseCustomer) -> list[ChannelConfiguration]:
    """The customer's connections, by connector and name."""
    return list(ChannelConfiguration.objects.filter(customer=customer).order_by("channel", "name", "pk"))


def recent_runs(customer: EnterpriseCustomer, *, limit: int = RECENT_RUNS) -> list[Run]:
    """The customer's latest runs, of every connection (deleted ones too), newest first."""
    return list(Run.objects.filter(customer=customer).order_by("-started_at", "-id")[:limit])


def recent_failures(runs: list[Run], *, limit: int = RECENT_FAILURES) -> list[RunError]:
    """The failed (and unattempted) records of ``runs`` and their run-level errors, newest run first."""
    ids = [run.pk for run in runs if run.failed or run.not_attempted or run.status == Run.Status.FAILED]
    if not ids:
        return []
    return list(
        RunError.objects.filter(run_id__in=ids)
        .select_related("run")
        .order_by("-run__started_at", "-run_id", "id")[:limit]
    )


@dataclass
class LearnerTransmissions:
    """What was sent for one learner: whether they are a learner of the customer, the audit rows, the errors."""

    email: str
    learner: EnterpriseCustomerUser | None
    enrollments: int
    audits: list[LearnerDataTransmissionAudit]
    errors: list[RunError]


def learner_transmissions(
    customer: EnterpriseCustomer, email: str, *, limit: int = LEARNER_ROWS
) -> LearnerTransmissions:
    """The transmission audit rows and run errors of the customer's learner with address ``email``.

    An address of no learner of this customer (another customer's included) finds nothing, in
    the same words: the portal never tells whose learner an address is.
    """
    email = normalize_email(email or "")
    learner = (
        EnterpriseCustomerUser.objects.filter(customer=customer, user__email__iexact=email)
        .select_related("user")
        .order_by("-linked", "-pk")
        .first()
        if email
        else None
    )
    if learner is None:
        return LearnerTransmissions(email, None, 0, [], [])
    enrollment_ids = list(EnterpriseCourseEnrollment.objects.filter(learner=learner).values_list("pk", flat=True))
    audits = list(
        LearnerDataTransmissionAudit.objects.filter(configuration__customer=customer, enrollment_id__in=enrollment_ids)
        .select_related("configuration")
        .order_by("-last_attempt_at", "-pk")[:limit]
    )
    errors = list(
        RunError.objects.filter(run__customer=customer, enrollment_id__in=enrollment_ids)
        .select_related("run")
        .order_by("-run__started_at", "-id")[:limit]
    )
    return LearnerTransmissions(email, learner, len(enrollment_ids), audits, errors)
