"""Pages and files of a provider's answers already imported whole, by fingerprint (decision 0455).

A content run asks ``PageLedger.known`` whether a page's raw bytes were imported under the same key
before; when they were, the page is skipped before it is parsed or mapped: a no-change rerun reads its
pages, hashes them and writes nothing but the courses' ``last_seen`` once it is an hour old (decision 0490).
A page is remembered only once all of its records were imported (none failed), so a record refused earlier
(a learner not linked yet) is read again by the next run.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from enterprise.lms.content.models import ImportedPage

#: Bumped when what a page's bytes turn into changes (the records' shape, the mapping): every page is read again.
LEDGER_VERSION = "1"


def digest(raw: bytes) -> str:
    """A page's raw bytes as a batch's ``fingerprint``."""
    return hashlib.sha256(raw).hexdigest()


def fingerprint_of(raw: bytes, *context: str) -> str:
    """SHA-256 of ``raw`` and of ``context`` (what else shapes the import, e.g. the catalogs' ids)."""
    digest = hashlib.sha256(raw)
    for part in (LEDGER_VERSION, *context):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


@dataclass
class Page:
    key: str
    fingerprint: str
    unchanged: int = 0
    superseded: int = 0
    course_ids: list[int] = field(default_factory=list)


class PageLedger:
    """The customer's imported pages of ``what`` from ``provider``: read once (on the first question), written
    in one statement per ``save``."""

    def __init__(self, *, customer_id: int, provider: str, what: str):
        self.customer_id, self.provider, self.what = customer_id, provider, what
        self._known: dict[str, Page] | None = None
        self._pending: list[Page] = []

    def known(self, key: str, fingerprint: str) -> Page | None:
        """The page imported under ``key`` with these bytes, None when it was not (or differently)."""
        if self._known is None:
            self._known = {
                key: Page(key, fingerprint, unchanged, superseded, course_ids)
                for key, fingerprint, unchanged, superseded, course_ids in ImportedPage.objects.filter(
                    customer_id=self.customer_id, provider=self.provider, what=self.what
                ).values_list("key", "fingerprint", "unchanged", "superseded", "course_ids")
            }
        page = self._known.get(key[:255])
        return page if page is not None and page.fingerprint == fingerprint else None

    def remember(self, pages: list[Page]) -> None:
        self._pending.extend(pages)

    def save(self, now: datetime.datetime) -> None:
        """Store the pages remembered since the last ``save`` (the last fingerprint of a key wins)."""
        latest = {page.key: page for page in self._pending}
        self._pending = []
        if not latest:
            return
        ImportedPage.objects.bulk_create(
            [
                ImportedPage(
                    customer_id=self.customer_id,
                    provider=self.provider,
                    what=self.what,
                    key=page.key[:255],
                    fingerprint=page.fingerprint,
                    unchanged=page.unchanged,
                    superseded=page.superseded,
                    course_ids=page.course_ids,
                    modified=now,
                )
                for page in latest.values()
            ],
            update_conflicts=True,
            unique_fields=["customer", "provider", "what", "key"],
            update_fields=["fingerprint", "unchanged", "superseded", "course_ids", "modified"],
        )
        if self._known is not None:
            self._known.update(latest)
