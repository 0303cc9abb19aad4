"""Finding learners by part of what an operator remembers: an e-mail or its domain, a name, a username.

The admin's learner lists (Manage Learners, linked learners, enrollments) search by substring:
"acme.example.com" finds every address of that domain, "Schmidt" a last name, "learner.0000" a
username, "Ann Lee" a first and a last name (every word must match one of the four columns).
The users are found first, on the user table alone, then the customer's links are filtered by
them:

- on PostgreSQL, ``UPPER(column) LIKE UPPER('%term%')`` (Django's ``icontains``) is answered by
  the ``pg_trgm`` GIN indexes of the user table (``standalone.hostdb`` creates them; the check
  ``enterprise.W002`` prints the statements for other hosts) and of pending learners' addresses
  (an ``enterprise`` migration): a rare term costs a few index pages;
- on SQLite (the embedded default, no trigram index), the same ``LIKE`` reads the user table once;
- a common term ("example.com" on a million learners) matches more users than
  ``SEARCH_USER_LIMIT``: then the links are filtered through a sub-query, which the database walks
  newest first along the customer's index and stops after one page; its count is bounded
  (``count_matches``) so the page never counts a million joined rows.

Terms of one or two characters cannot use a trigram index: they match the beginning of a
username, as before (the username's own index answers). A term of digits only is a user id.
Decision 0201.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet

#: More matching users than this: filter through a sub-query instead of a list of ids.
SEARCH_USER_LIMIT = 5_000
#: Counts of a search that matched many users stop here (the page says "more than …").
COUNT_LIMIT = 500
#: Shorter words match a username prefix only (no trigram of one or two characters).
MIN_SUBSTRING = 3


_WHOLE_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class UserMatch:
    """The users a term matches: their ids when few (``ids``), else a sub-query (``ids`` is None)."""

    query: QuerySet
    ids: list[int] | None

    def filter_links(self, queryset: QuerySet, field: str = "user_id") -> QuerySet:
        """``queryset`` narrowed to rows whose ``field`` is one of the matching users."""
        if self.ids is not None:
            return queryset.filter(**{f"{field}__in": self.ids})
        return queryset.filter(**{f"{field}__in": self.query})


def _user_condition(term: str) -> Q:
    user_model = get_user_model()
    email = user_model.get_email_field_name()
    username = user_model.USERNAME_FIELD
    names = [name for name in ("first_name", "last_name") if _has_field(user_model, name)]
    if term.isdigit():
        return Q(pk=int(term))
    condition = Q()
    for word in term.split():
        if len(word) < MIN_SUBSTRING:
            word_q = Q(**{f"{username}__startswith": word})
        else:
            word_q = Q(**{f"{email}__icontains": word}) | Q(**{f"{username}__icontains": word})
            for name in names:
                word_q |= Q(**{f"{name}__icontains": word})
        condition &= word_q
    return condition


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:  # a custom user model without names
        return False
    return True


def matching_users(term: str, *, limit: int | None = None) -> UserMatch | None:
    """The users ``term`` matches (None for an empty term: no filter).

    A whole address is first looked up as such (the b-tree index on ``UPPER(email)``, one index
    entry); only when no user has it is it searched as a part of addresses.
    """
    term = " ".join((term or "").split())
    if not term:
        return None
    limit = SEARCH_USER_LIMIT if limit is None else limit
    user_model = get_user_model()
    manager = user_model._default_manager
    if _WHOLE_ADDRESS.match(term):
        exact = manager.filter(**{f"{user_model.get_email_field_name()}__iexact": term}).values("pk")
        ids = list(exact.values_list("pk", flat=True)[: limit + 1])
        if ids:
            return UserMatch(query=exact, ids=ids) if len(ids) <= limit else UserMatch(query=exact, ids=None)
    query = manager.filter(_user_condition(term)).values("pk")
    ids = list(query.values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return UserMatch(query=query, ids=ids)
    return UserMatch(query=query, ids=None)


def count_matches(queryset: QuerySet, *, limit: int | None = None) -> tuple[int, bool]:
    """(count, exact): ``queryset``'s rows, counted up to ``limit`` + 1 only.

    Counted newest first, as the page reads them: when many rows match, the database walks the
    customer's index and stops at ``limit`` + 1 instead of joining every matching user.
    """
    limit = COUNT_LIMIT if limit is None else limit
    count = queryset.order_by("-created")[: limit + 1].count()
    return (count, True) if count <= limit else (limit, False)
