"""The linked and pending learners of one customer, a page at a time, fast at a million rows.

Pages are keyset-paginated, newest first, on ``(created, id)``: the next page is "older than
the last row shown", so page 20,000 costs what page 1 costs, through the
``(customer, linked, -created)`` and ``(customer, -created)`` indexes. An offset would make the
database walk (and, for linked learners, join to the user table) every row it skips.
The pages of the Manage Learners lists (``*_learners_page``) search by substring: part of an
e-mail or its domain, a name, a username (``learner_search``, decision 0201); the REST API's
``linked_learners`` / ``pending_learners`` keep their exact or prefix matches (decision 0004).
Each page knows its number (the rows newer than its first row, counted along the same index)
and the last page can be read directly, oldest rows first. With ``count_limit`` (the portal's
Learners page, decision 0450) a whole list is counted up to that many rows only: a longer one is
"more than N", its pages unnumbered, as a common search term's are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.http import urlencode

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import learner_search
from enterprise.services.learner_search import count_matches, matching_users


@dataclass(frozen=True)
class LearnerPage:
    items: list
    total: int
    search: str
    next_cursor: str = ""  # older rows exist: pass as ``after``
    previous_cursor: str = ""  # newer rows exist: pass as ``before``
    total_exact: bool = True  # False: more than ``total`` rows match (a common search term)
    number: int | None = None  # this page's number, 1 = newest (None when the count is not exact)
    size: int = 0

    @property
    def pages(self) -> int | None:
        if not self.total_exact or not self.size:
            return None
        return max(1, -(-self.total // self.size))

    @property
    def first_position(self) -> int | None:
        """1-based position of the first row shown, in the whole list."""
        return (self.number - 1) * self.size + 1 if self.number and self.items else None

    @property
    def last_position(self) -> int | None:
        first = self.first_position
        return first + len(self.items) - 1 if first is not None else None


def cursor_of(obj) -> str:
    return f"{obj.created.isoformat()}_{obj.pk}"


def parse_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    created, _sep, pk = (cursor or "").rpartition("_")
    try:
        return datetime.datetime.fromisoformat(created), int(pk)
    except ValueError:
        return None


def _newer_than(queryset: QuerySet, obj) -> QuerySet:
    return queryset.filter(created__gte=obj.created).filter(
        Q(created__gt=obj.created) | Q(created=obj.created, pk__gt=obj.pk)
    )


def _page(
    queryset: QuerySet,
    *,
    search: str,
    after: str,
    before: str,
    size: int | None,
    last: bool = False,
    exact_count: bool = True,
    number: int | None = None,
    count_limit: int | None = None,
) -> LearnerPage:
    """One page; ``number`` is the page's number when the caller knows it (a link from the page
    before or after), else it is counted (a jump): one count of the whole list either way.
    ``count_limit``: count a whole list up to that many rows only (None: all of them)."""
    size = size or enterprise_settings.MANAGE_LEARNERS_PAGE_SIZE
    if exact_count and count_limit is None:
        total, total_exact = queryset.count(), True
    elif exact_count:
        total, total_exact = count_matches(queryset, limit=count_limit)
    else:
        total, total_exact = count_matches(queryset, limit=learner_search.COUNT_LIMIT)
    older, newer = parse_cursor(after), parse_cursor(before)
    if last and total_exact:  # the oldest rows: the remainder after the full pages
        remainder = total % size or size
        items = list(queryset.order_by("created", "pk")[:remainder])[::-1]
        return LearnerPage(
            items,
            total,
            search,
            previous_cursor=cursor_of(items[0]) if items and total > len(items) else "",
            total_exact=True,
            number=max(1, -(-total // size)),
            size=size,
        )
    if newer is not None:
        created, pk = newer
        rows = list(
            queryset.filter(created__gte=created)  # the range the index reads; the OR below decides ties
            .filter(Q(created__gt=created) | Q(created=created, pk__gt=pk))
            .order_by("created", "pk")[: size + 1]
        )
        more_newer = len(rows) > size
        items = rows[:size][::-1]
        return LearnerPage(
            items,
            total,
            search,
            next_cursor=cursor_of(items[-1]) if items else "",
            previous_cursor=cursor_of(items[0]) if items and more_newer else "",
            total_exact=total_exact,
            number=number or _number(queryset, items, size, total_exact),
            size=size,
        )
    queryset_after = older_than(queryset, after)
    rows = list(queryset_after.order_by("-created", "-pk")[: size + 1])
    items = rows[:size]
    return LearnerPage(
        items,
        total,
        search,
        next_cursor=cursor_of(items[-1]) if len(rows) > size else "",
        previous_cursor=cursor_of(items[0]) if items and older is not None else "",
        total_exact=total_exact,
        number=1 if older is None else (number or _number(queryset, items, size, total_exact)),
        size=size,
    )


def _number(queryset: QuerySet, items: list, size: int, total_exact: bool) -> int | None:
    """The page number of a page starting at ``items[0]``: the rows newer than it, by the same index."""
    if not items or not total_exact:
        return None
    return _newer_than(queryset, items[0]).count() // size + 1


def users_with_email(email: str) -> list[int]:
    """The ids of the users with this e-mail address, case-insensitive (at most 100)."""
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    return list(
        user_model._default_manager.filter(**{f"{email_field}__iexact": email}).values_list("pk", flat=True)[:100]
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
        queryset = queryset.filter(user_id__in=users_with_email(term))
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
    position = parse_cursor(cursor)
    if position is None:
        return queryset
    created, pk = position
    # ``created <= …`` is the range an index on ``created`` reads; the OR alone would make the
    # database filter every newer row on the way (a page in the middle of a million: 400 ms).
    return queryset.filter(created__lte=created).filter(Q(created__lt=created) | Q(created=created, pk__lt=pk))


def linked_learners_page(
    *,
    customer: EnterpriseCustomer,
    search: str = "",
    after: str = "",
    before: str = "",
    last: bool = False,
    number: int | None = None,
    size: int | None = None,
    count_limit: int | None = None,
) -> LearnerPage:
    """Linked learners of ``customer`` whose e-mail, username or name contains ``search`` (decision 0201);
    ``count_limit``: the whole list counted up to that many only (decision 0450)."""
    queryset = EnterpriseCustomerUser.objects.filter(customer=customer, linked=True)
    match = matching_users(search)
    if match is not None:
        queryset = match.filter_links(queryset)
    return _page(
        queryset.select_related("user"),
        search=" ".join((search or "").split()),
        after=after,
        before=before,
        last=last,
        size=size,
        exact_count=match is None or match.ids is not None,
        number=number,
        count_limit=count_limit,
    )


def pending_learners_page(
    *,
    customer: EnterpriseCustomer,
    search: str = "",
    after: str = "",
    before: str = "",
    last: bool = False,
    number: int | None = None,
    size: int | None = None,
    count_limit: int | None = None,
) -> LearnerPage:
    """Pending learners of ``customer`` whose e-mail contains ``search`` (the domain, a name);
    ``count_limit``: the whole list counted up to that many only (decision 0450)."""
    queryset = PendingEnterpriseCustomerUser.objects.filter(customer=customer)
    term = normalize_email(search)
    if term:
        queryset = queryset.filter(user_email__icontains=term)
    return _page(
        queryset,
        search=term,
        after=after,
        before=before,
        last=last,
        size=size,
        exact_count=not term,
        number=number,
        count_limit=count_limit,
    )


# -- the parameters of the two lists of a page (the admin's Manage Learners page, the portal's Learners page)

#: The query parameters that say where each list is: kept when the page is reloaded.
LIST_PARAMS = (
    "linked_q",
    "linked_after",
    "linked_before",
    "linked_last",
    "linked_until",
    "linked_page",
    "pending_q",
    "pending_after",
    "pending_before",
    "pending_last",
    "pending_until",
    "pending_page",
)


def position_from_params(params, prefix: str) -> dict[str, object]:
    """Where a list is: a cursor, the last page, or a jump to the rows created on or before a date."""
    position = {
        "after": params.get(f"{prefix}_after", ""),
        "before": params.get(f"{prefix}_before", ""),
        "last": params.get(f"{prefix}_last") == "1",
    }
    page = params.get(f"{prefix}_page", "")
    number = int(page) if page.isdigit() and 0 < int(page) < 10**9 else None
    until = params.get(f"{prefix}_until", "")
    if until and not any(position.values()):
        try:
            day = datetime.date.fromisoformat(until)
        except ValueError:
            return position  # not a date: no jump
        midnight = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
        position["after"] = f"{midnight.isoformat()}_0"  # older than the next midnight: that day and before
        return position  # a jump counts its page's number
    if number is not None and (position["after"] or position["before"]):
        position["number"] = number  # known from the link followed: no second count
    return position


def pager_urls(base: str, params, prefix: str, page) -> dict[str, str]:
    """Links to the first, newer, older and last pages of one list, keeping the other list's position."""
    keep = {k: params[k] for k in LIST_PARAMS if params.get(k) and not k.startswith(prefix)}
    if page.search:
        keep[f"{prefix}_q"] = page.search

    def url(extra: dict[str, str]) -> str:
        query = urlencode({**keep, **extra})
        return f"{base}?{query}#{prefix}-learners" if query else f"{base}#{prefix}-learners"

    urls = {}
    numbered = page.number is not None and page.total_exact
    if page.previous_cursor:
        urls["newest"] = url({})
        newer = {f"{prefix}_before": page.previous_cursor}
        if numbered and page.number > 1:
            newer[f"{prefix}_page"] = str(page.number - 1)
        urls["newer"] = url(newer)
    if page.next_cursor:
        older = {f"{prefix}_after": page.next_cursor}
        if numbered:
            older[f"{prefix}_page"] = str(page.number + 1)
        urls["older"] = url(older)
        if page.pages is not None:
            urls["oldest"] = url({f"{prefix}_last": "1"})
    return urls
