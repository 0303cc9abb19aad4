"""Salesforce Users or Contacts as a source of the import pipeline: one SOQL query, paged by nextRecordsUrl.

``SELECT <the mapped fields> FROM User WHERE IsActive = true`` (active users only, by default), or
``FROM Contact`` — all of them, or those whose chosen field has one of the chosen values (the
seed's "Choose Contacts column / Specify values"). Pages of up to 2,000 records follow
``nextRecordsUrl`` until ``done``. Related fields (``Manager.Email``) are read from the nested
record; a field absent or null is an empty value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.sources import Row, _picker
from integrated_channels.salesforce.attributes import ATTRIBUTES, soql
from integrated_channels.salesforce.client import SalesforceClient
from integrated_channels.salesforce.soql import quote


def query_of(configuration, columns) -> str:
    if configuration.records == configuration.Records.CONTACTS:
        where = []
        if configuration.contacts_column:
            values = ", ".join(quote(value) for value in configuration.values())
            where.append(f"{configuration.contacts_column} IN ({values})")
        return soql("Contact", columns, where=where)
    where = ["IsActive = true"] if configuration.active_users_only else []
    return soql("User", columns, where=where)


class SalesforceSource:
    def __init__(self, client: SalesforceClient, configuration):
        self.client = client
        self.configuration = configuration
        self.required: Mapping[str, str] = {}
        self.pages = 0

    def columns(self) -> list[str]:
        return list(ATTRIBUTES)

    def _pages(self) -> Iterator[tuple[str, list]]:
        version = self.configuration.api_version
        try:
            query = query_of(self.configuration, self.required)
        except ValueError as exc:
            raise ImportRefused(str(exc), code="mapping_incomplete") from None
        url, params = f"/services/data/{version}/query", {"q": query}
        while url:
            self.pages += 1
            where = f"page {self.pages}"
            page = self.client.get(url, params=params, what=where)
            records = page.get("records")
            if not isinstance(records, list):
                raise ImportRefused(f"{where}: Salesforce answered without records.", code="malformed_response")
            yield where, records
            url, params = (None if page.get("done") else page.get("nextRecordsUrl")), None
            if url is None and not page.get("done"):
                raise ImportRefused(f"{where}: not done, but no nextRecordsUrl.", code="malformed_response")

    def count(self) -> int:
        """How many records the query selects (one ``COUNT()`` query)."""
        query = query_of(self.configuration, []).replace("SELECT Id FROM", "SELECT COUNT() FROM", 1)
        page = self.client.get(f"/services/data/{self.configuration.api_version}/query", params={"q": query})
        return int(page.get("totalSize") or 0)

    def rows(self) -> Iterator[Row]:
        threshold = self.configuration.bulk_threshold
        if threshold and self.count() > threshold:
            yield from self._bulk_rows()
            return
        pick = _picker(self.required)
        for where, records in self._pages():  # not in a prefetch thread: a 401 renews the token in the database
            for index, record in enumerate(records, start=1):
                if not isinstance(record, dict):
                    raise ImportRefused(f"{where}, record {index}: not an object.", code="malformed_response")
                yield Row(pick(record), f"{where}, {record.get('Id') or index}")

    def _bulk_rows(self) -> Iterator[Row]:
        try:
            query = query_of(self.configuration, self.required)
        except ValueError as exc:
            raise ImportRefused(str(exc), code="mapping_incomplete") from None
        columns = list(self.required)
        for number, records in enumerate(self.client.bulk_query(self.configuration.api_version, query), start=1):
            self.pages += 1
            for index, record in enumerate(records, start=1):
                yield Row(
                    {c: (record.get(c) or "").strip() for c in columns},
                    f"results {number}, {record.get('Id') or index}",
                )
