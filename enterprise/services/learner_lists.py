"""The linked and pending learners of one customer, a page at a time, fast at a million rows.

Pages are keyset-paginated, newest first, on ``(created, id)``: the next page is "older than
the last row shown", so page 20,000 costs what page 1 costs, through the
``(customer, linked, -created)`` and ``(customer, -created)`` indexes. An offset would make the
database walk (and, for linked learners, join to the user table) every row it skips.
Searches are exact or prefix matches, as in the admin lists (docs/decisions/0004).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser


@dataclass(frozen=True)
class LearnerPage:
    items: list
    total: int
    search: str
    next_cursor: str = ""  # older rows exist: pass as ``after``
    previous_cursor: str = ""  # newer rows exist: pass as ``before``


def cursor_of(obj) -> str:
    return f"{obj.created.isoformat()}_{obj.pk}"


def _parse(cursor: str) -> tuple[datetime.datetime, int] | None:
    created, _sep, pk = (cursor or "").rpartition("_")
    try:
        return datetime.datetime.fromisoformat(created), int(pk)
    except ValueError:
        return None


def _page(queryset: QuerySet, *, search: str, after: str, before: str, size: int | None) -> LearnerPage:
    size = size or enterprise_settings.MANAGE_LEARNERS_PAGE_SIZE
    total = queryset.count()
    older, newer = _parse(after), _parse(before)
    if newer is not None:
        created, pk = newer
        rows = list(
            queryset.filter(Q(created__gt=created) | Q(created=created, pk__gt=pk)).order_by("created", "pk")[
                : size + 1
            ]
        )
        more_newer = len(rows) > size
        items = rows[:size][::-1]
        return LearnerPage(
            items,
            total,
            search,
            next_cursor=cursor_of(items[-1]) if items else "",
            previous_cursor=cursor_of(items[0]) if items and more_newer else "",
        )
    queryset = older_than(queryset, after)
    rows = list(queryset.order_by("-created", "-pk")[: size + 1])
    items = rows[:size]
    return LearnerPage(
        items,
        total,
        search,
        next_cursor=cursor_of(items[-1]) if len(rows) > size else "",
        previous_cursor=cursor_of(items[0]) if items and older is not None else "",
    )


def linked_learners(*, customer, search: str = "") -> QuerySet:
    """Linked learners of ``customer`` (an instance or its pk) matching ``search``, unordered.

    ``search`` is an exact e-mail (case-insensitive), a user id or a username prefix.
    """
    queryset = EnterpriseCustomerUser.objects.filter(customer=customer, linked=True)
    term = (search or "").strip()
    if "@" in term:
        # Users first, then their links: a join lets the planner walk the customer's learners
        # newest first and test each user's address (1 s at a million learners on PostgreSQL);
        # this way it is an index look-up when the host has an ``UPPER(email)`` index (the
        # standalone host does, decision 0110), else one scan of the user table.
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        user_ids = list(
            user_model._default_manager.filter(**{f"{email_field}__iexact": term}).values_list("pk", flat=True)[:100]
        )
        queryset = queryset.filter(user_id__in=user_ids)
    elif term.isdigit():
        queryset = queryset.filter(user_id=int(term))
    elif term:
        queryset = queryset.filter(user__username__startswith=term)
    return queryset


def pending_learners(*, customer, search: str = "") -> QuerySet:
    """Pending learners of ``customer`` (an instance or its pk): exact e-mail or its beginning."""
    queryset = PendingEnterpriseCustomerUser.objects.filter(customer=customer)
    term = normalize_email(search)
    if "@" in term:
        queryset = queryset.alias(email_ci=Lower("user_email")).filter(email_ci=term)
    elif term:
        queryset = queryset.filter(user_email__startswith=term)
    return queryset


def older_than(queryset: QuerySet, cursor: str) -> QuerySet:
    """The rows of ``queryset`` after ``cursor`` in newest-first order (all of them for "")."""
    position = _parse(cursor)
    if position is None:
        return queryset
    created, pk = position
    return queryset.filter(Q(created__lt=created) | Q(created=created, pk__lt=pk))


def linked_learners_page(
    *, customer: EnterpriseCustomer, search: str = "", after: str = "", before: str = "", size: int | None = None
) -> LearnerPage:
    """Linked learners of ``customer``; ``search`` is an exact e-mail, a user id or a username prefix."""
    queryset = linked_learners(customer=customer, search=search).select_related("user")
    return _page(queryset, search=(search or "").strip(), after=after, before=before, size=size)


def pending_learners_page(
    *, customer: EnterpriseCustomer, search: str = "", after: str = "", before: str = "", size: int | None = None
) -> LearnerPage:
    """Pending learners of ``customer``; ``search`` is an exact e-mail or its beginning."""
    queryset = pending_learners(customer=customer, search=search)
    return _page(queryset, search=normalize_email(search), after=after, before=before, size=size)
