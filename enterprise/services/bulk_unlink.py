"""Unlinking many learners of one customer by e-mail address, with per-row results.

Linked learners are unlinked softly (``linking.unlink_users``), pending learners are deleted
(``linking.delete_pending_learners``). The cost is a fixed number of queries per submission:
one look-up of the users by address, one of the customer's links, one of its pending rows, and
one write of each kind. ``dry_run`` reports what would happen and writes nothing.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_link import email_error
from enterprise.services.linking import delete_pending_learners, unlink_users
from enterprise.services.user_lookup import users_by_email


class UnlinkStatus(enum.StrEnum):
    UNLINKED = "unlinked"
    PENDING_REMOVED = "pending_removed"
    NOT_A_LEARNER = "not_a_learner"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass(slots=True)
class UnlinkRow:
    row: int
    value: str
    email: str = ""
    status: UnlinkStatus | None = None
    message: str = ""
    user_id: int | None = None


@dataclass
class UnlinkResult:
    rows: list[UnlinkRow]
    dry_run: bool
    counts: dict[UnlinkStatus, int] = field(default_factory=dict)


def unlink_learners(*, customer: EnterpriseCustomer, emails: list[str], dry_run: bool = False) -> UnlinkResult:
    """Unlink (or un-pend) each address of ``emails`` from ``customer``; report every row."""
    rows: list[UnlinkRow] = []
    seen: set[str] = set()
    for index, value in enumerate(emails, start=1):
        email = normalize_email(value)
        row = UnlinkRow(index, value, email)
        problem = email_error(email)
        if problem:
            row.status, row.message = UnlinkStatus.INVALID, f"{value!r} {problem}"
        elif email in seen:
            row.status, row.message = UnlinkStatus.DUPLICATE, "Duplicate address in the submission."
        seen.add(email)
        rows.append(row)
    todo = [row for row in rows if row.status is None]
    matches = users_by_email(sorted({row.email for row in todo}))
    user_ids: set[int] = set()
    for value in matches.values():
        user_ids.update(value if isinstance(value, tuple) else (value,))
    linked = dict(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True, user_id__in=user_ids).values_list(
            "user_id", "pk"
        )
    )
    pending = dict(
        PendingEnterpriseCustomerUser.objects.filter(
            customer=customer, user_email__in=[row.email for row in todo]
        ).values_list("user_email", "pk")
    )
    unlink_ids, pending_ids = [], []
    for row in todo:
        found = matches.get(row.email)
        ids = found if isinstance(found, tuple) else (found,) if found is not None else ()
        learner_user_ids = [user_id for user_id in ids if user_id in linked]
        if learner_user_ids:
            row.status, row.user_id = UnlinkStatus.UNLINKED, learner_user_ids[0]
            unlink_ids += learner_user_ids
        elif row.email in pending:
            row.status = UnlinkStatus.PENDING_REMOVED
            pending_ids.append(pending[row.email])
        else:
            row.status, row.message = UnlinkStatus.NOT_A_LEARNER, "Not a learner of this customer."
    if not dry_run:
        with transaction.atomic():
            unlink_users(customer=customer, user_ids=unlink_ids)
            delete_pending_learners(customer=customer, pending_ids=pending_ids)
    counts = Counter(row.status for row in rows)
    return UnlinkResult(rows, dry_run, {status: counts[status] for status in UnlinkStatus if counts[status]})
