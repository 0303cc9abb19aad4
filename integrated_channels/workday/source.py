"""Workday's workers as a source of the import pipeline.

Pages of Get_Workers (Count 999, ``As_Of_Entry_DateTime`` fixed at the first page so every page
reads the same moment) until ``Total_Pages``; Request_Criteria carry the connection's filters
(active only, Exclude Contingent Workers); Response_Group asks only the groups the mapping reads.
Each worker's mapped columns are read with XPath compiled once per column (``attributes.reader``:
a missing path is empty) and spooled, one record a page, with its UUID (WID), name and its
manager's WID; once every page is read, the managers' WIDs
become their e-mails (the mapped e-mail of that worker) and the rows go to the pipeline. A worker
whose UUID, e-mail or name another Workday connection of the customer already imported is left
out and reported (``clashes``), as the seed asks, not a failed run.
"""

from __future__ import annotations

import datetime
import marshal
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone

from enterprise.emails import normalize_email
from integrated_channels.integrated_channel.imports.sources import Row
from integrated_channels.workday.attributes import ATTRIBUTES, MANAGER, Q, reader, response_group
from integrated_channels.workday.client import WorkdayClient
from integrated_channels.workday.models import WorkdayWorker

WID = "wd:Worker_Reference.WID"
LEGAL_NAME = "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.@wd:Formatted_Name"
DESCRIPTOR = f"{Q}Worker_Descriptor"


class WorkdayWorkersSource:
    def __init__(
        self,
        client: WorkdayClient,
        configuration,
        *,
        email_column: str,
        remember: Callable[[list[tuple[str, str, str]]], None] | None = None,
        now: Callable[[], datetime.datetime] = timezone.now,
    ):
        self.client = client
        self.configuration = configuration
        self.email_column = email_column
        self.remember = remember
        self.now = now
        self.required: Mapping[str, str] = {}
        self.pages = 0
        self.clashes: list[tuple[str, str]] = []  # (e-mail, message) of workers left out

    def columns(self) -> list[str]:
        return list(ATTRIBUTES)

    def _others(self):
        """UUIDs, e-mails and names the customer's other Workday connections imported: value → connection."""
        rows = (
            WorkdayWorker.objects.filter(customer_id=self.configuration.customer_id)
            .exclude(configuration_id=self.configuration.pk)
            .values_list("worker_uuid", "email", "name", "configuration__name")
        )
        uuids, emails, names = {}, {}, {}
        for uuid, email, name, connection in rows.iterator(chunk_size=5000):
            uuids[uuid] = connection
            emails[email] = (uuid, connection)
            if name:
                names[name.casefold()] = (uuid, connection)
        return uuids, emails, names

    def rows(self) -> Iterator[Row]:
        columns = list(self.required)
        groups = response_group(columns)
        readers = [(column, reader(column)) for column in columns]
        read_wid, read_legal_name = reader(WID), reader(LEGAL_NAME)
        as_of = self.now()
        managers: dict[str, str] = {}  # WID → e-mail
        with tempfile.TemporaryFile(prefix="workday-") as spool:
            for page, workers in self._pages(as_of, groups):
                spooled = []
                for index, worker in enumerate(workers, start=1):
                    values = {column: read(worker) for column, read in readers}
                    wid = read_wid(worker)
                    name = (worker.findtext(DESCRIPTOR) or "").strip() or read_legal_name(worker)
                    email = normalize_email(values.get(self.email_column) or "")
                    if wid and email:
                        managers[wid] = email
                    spooled.append((f"page {page}, worker {name or wid or index}", wid, name, values))
                marshal.dump(spooled, spool)  # one record a page: bounded memory, few calls
                del workers, spooled
            spool.seek(0)
            yield from self._second_pass(spool, managers)

    def _pages(self, as_of: datetime.datetime, groups: list[str]) -> Iterator[tuple[int, list]]:
        """(page number, its Worker elements) until Total_Pages; the next page is asked while this one is read.

        One call at a time, in page order, on one thread beside this one (Workday builds the next
        answer while this process reads the last): a page that fails raises here when its turn comes,
        after the pages before it were read, as without the look-ahead.
        """

        def fetch(page: int):
            return self.client.get_workers(
                page=page,
                as_of=as_of,
                groups=groups,
                exclude_inactive=self.configuration.active_only,
                exclude_contingent=self.configuration.exclude_contingent_workers,
            )

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="workday-pages") as pool:
            pending, page = pool.submit(fetch, 1), 1
            while pending is not None:
                workers, total_pages, _total = pending.result()
                self.pages += 1
                pending = pool.submit(fetch, page + 1) if page < total_pages else None
                yield page, workers
                page += 1

    def _second_pass(self, spool, managers: dict[str, str]) -> Iterator[Row]:
        uuids, emails, names = self._others()
        batch: list[tuple[str, str, str]] = []
        while True:
            try:
                page = marshal.load(spool)  # noqa: S302 (our own spool, written above)
            except EOFError:
                break
            for where, wid, name, values in page:
                if MANAGER in values:
                    values[MANAGER] = managers.get(values[MANAGER], "")
                email = normalize_email(values.get(self.email_column) or "")
                clash = self._clash(wid, email, name, uuids, emails, names)
                if clash:
                    self.clashes.append((email or wid, f"{where}: {clash}; not imported."))
                    continue
                if wid and email:
                    batch.append((wid, email, name))
                    if len(batch) >= 5000 and self.remember is not None:
                        self.remember(batch)
                        batch = []
                yield Row(values, where)
        if batch and self.remember is not None:
            self.remember(batch)

    @staticmethod
    def _clash(wid, email, name, uuids, emails, names) -> str:
        if wid in uuids:
            return f"its Workday UUID {wid} was imported by the connection {uuids[wid]!r}"
        if email in emails and emails[email][0] != wid:
            return f"its e-mail {email} belongs to another worker of the connection {emails[email][1]!r}"
        if name and name.casefold() in names and names[name.casefold()][0] != wid:
            return f"its name {name!r} belongs to another worker of the connection {names[name.casefold()][1]!r}"
        return ""
