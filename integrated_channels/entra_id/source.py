"""The users of an Entra ID tenant as a source of the import pipeline, read whole or by their changes.

- ``full``: ``GET /v1.0/users?$select=…&$top=999`` (with ``$expand=manager($select=…)`` when a
  manager attribute is mapped), following ``@odata.nextLink`` verbatim: ceil(N / 999) calls.
- ``changed``: the users a delta round named, read again whole (``$filter=id in (…)``, 15 ids a
  call): a delta answer holds "at least the changed properties", not every mapped one.

``$select`` is exactly the mapped properties (with ``id`` and ``accountEnabled``). A property
missing from a user is an empty value. Disabled accounts (``accountEnabled`` false) are not
imported when the connection unlinks them; their e-mails are kept for that. Each page's
(object id, e-mail) pairs go to ``remember`` so a later delta can name a deleted user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from enterprise.emails import normalize_email
from integrated_channels.entra_id.attributes import ATTRIBUTES, MANAGER_PROPERTIES, selected
from integrated_channels.entra_id.client import PAGE_SIZE, GraphClient
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.sources import Row, _picker

IDS_PER_FILTER = 15


def query(columns) -> dict[str, str]:
    """The ``$select`` (and ``$expand``) reading ``columns``."""
    select, manager = selected(columns)
    params = {"$select": ",".join(select)}
    if manager:
        params["$expand"] = f"manager($select={','.join(MANAGER_PROPERTIES)})"
    return params


class GraphUsersSource:
    def __init__(
        self,
        client: GraphClient,
        *,
        email_column: str,
        skip_disabled: bool,
        ids: list[str] | None = None,
        remember: Callable[[list[tuple[str, str]]], None] | None = None,
    ):
        self.client = client
        self.email_column = email_column
        self.skip_disabled = skip_disabled
        self.ids = ids  # None: every user; else only these (a delta's changed users)
        self.remember = remember
        self.required: Mapping[str, str] = {}
        self.pages = 0
        self.disabled: list[str] = []  # e-mails of disabled accounts left out
        self.found_ids: set[str] = set()

    def columns(self) -> list[str]:
        return list(ATTRIBUTES)

    def _pages(self) -> Iterator[tuple[str, list]]:
        params = {**query(self.required), "$top": str(PAGE_SIZE)}
        if self.ids is None:
            url, first = "users", params
            while url:
                self.pages += 1
                where = f"page {self.pages}"
                page = self.client.get(url, params=first, what=where)
                yield where, _values(page, where)
                url, first = page.get("@odata.nextLink"), None
            return
        for start in range(0, len(self.ids), IDS_PER_FILTER):
            chunk = self.ids[start : start + IDS_PER_FILTER]
            self.pages += 1
            where = f"changed users, call {self.pages}"
            listed = ",".join("'" + one.replace("'", "''") + "'" for one in chunk)
            page = self.client.get("users", params={**params, "$filter": f"id in ({listed})"}, what=where)
            yield where, _values(page, where)

    def rows(self) -> Iterator[Row]:
        pick = _picker(self.required)
        for where, items in self._pages():  # not in a prefetch thread: a 401 renews the token in the database
            pairs = []
            for index, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    raise ImportRefused(f"{where}, item {index}: not an object.", code="malformed_response")
                row = pick(item)
                object_id = str(item.get("id") or "")
                if self.ids is not None:
                    self.found_ids.add(object_id)
                email = normalize_email(row.get(self.email_column) or "")
                if object_id and email:
                    pairs.append((object_id, email))
                if self.skip_disabled and item.get("accountEnabled") is False:
                    if email:
                        self.disabled.append(email)
                    continue
                yield Row(row, f"{where}, user {item.get('userPrincipalName') or object_id or index}")
            if self.remember is not None and pairs:
                self.remember(pairs)


def _values(page: dict, where: str) -> list:
    values = page.get("value")
    if not isinstance(values, list):
        raise ImportRefused(f"{where}: Microsoft Graph answered without a list of users.", code="malformed_response")
    return values


def read_delta(client: GraphClient, link: str) -> tuple[list[str], list[str], str, int]:
    """Follow a deltaLink to its end: (changed ids, removed ids, the new deltaLink, calls)."""
    changed: dict[str, None] = {}
    removed: dict[str, None] = {}
    url, calls = link, 0
    while True:
        calls += 1
        page = client.get(url, what=f"delta page {calls}")
        for item in _values(page, f"delta page {calls}"):
            object_id = str(item.get("id") or "") if isinstance(item, dict) else ""
            if not object_id:
                continue
            if "@removed" in item:
                removed[object_id] = None
                changed.pop(object_id, None)
            else:
                changed[object_id] = None
                removed.pop(object_id, None)
        if page.get("@odata.nextLink"):
            url = page["@odata.nextLink"]
            continue
        delta = page.get("@odata.deltaLink")
        if not delta:
            raise ImportRefused("Microsoft Graph ended a delta round without a deltaLink.", code="malformed_response")
        return list(changed), list(removed), delta, calls


def latest_delta_link(client: GraphClient, params: dict[str, str]) -> str:
    """A deltaLink from now on (``$deltatoken=latest``: no user is read)."""
    page = client.get("users/delta", params={**params, "$deltatoken": "latest"}, what="the delta start")
    while page.get("@odata.nextLink"):
        page = client.get(page["@odata.nextLink"], what="the delta start")
    delta = page.get("@odata.deltaLink")
    if not delta:
        raise ImportRefused("Microsoft Graph answered the delta start without a deltaLink.", code="malformed_response")
    return delta
