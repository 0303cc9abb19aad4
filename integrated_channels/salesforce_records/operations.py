"""Salesforce learning records: transcripts, skills and a user report upserted into custom objects.

Each record is linked to the learner's User or Contact (the connection's choice, matched by
e-mail; with Contact, learners missing in Salesforce are created as contacts first) and upserted
by an external id (the report row's key), 200 per sObject Collections call, so a rerun never
duplicates. Unlike the seed, which shows "completed" even when records failed, each record's
outcome is read back: refused records (Salesforce's status code and message) are failed records
of the run's error report, and the run is "completed with errors".
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from itertools import chain, islice

from django.contrib.auth import get_user_model
from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.exporters import reports
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.salesforce_records.models import LinkTo, SalesforceRecordsConnection

logger = logging.getLogger(__name__)

TRANSCRIPTS, SKILLS, USER_REPORT = "transcripts_records", "skills_records", "user_report_records"

# (the connection's field naming the object, the selection, [(Salesforce field, report column)])
RECORDS = {
    TRANSCRIPTS: (
        "transcript_object",
        reports.transcripts,
        (
            ("Email__c", "Email"),
            ("Course_Id__c", "CourseId"),
            ("Course_Title__c", "CourseTitle"),
            ("Status__c", "Status"),
            ("Grade__c", "Grade"),
            ("Enrolled_At__c", "EnrolledAt"),
            ("Completed_At__c", "CompletedAt"),
            ("Unenrolled_At__c", "UnenrolledAt"),
            ("Type__c", "Type"),
            ("Embedded_Path__c", "LearningPath"),
            ("Embedded_Path_Id__c", "LearningPathId"),
            ("Embedded_Course_Id__c", "EmbeddedCourseId"),
        ),
    ),
    SKILLS: (
        "skill_object",
        reports.skills,
        (
            ("Email__c", "Email"),
            ("Skill__c", "Skill"),
            ("Level__c", "Level"),
            ("Course_Id__c", "CourseId"),
            ("Achieved_At__c", "AchievedAt"),
        ),
    ),
    USER_REPORT: (
        "user_report_object",
        reports.user_report,
        (
            ("Email__c", "Email"),
            ("Username__c", "Username"),
            ("Enrollments__c", "Enrollments"),
            ("Completions__c", "Completions"),
            ("Linked_At__c", "LinkedAt"),
        ),
    ),
}


def _client(connection, **kwargs):
    from integrated_channels.salesforce_records.client import SalesforceClient

    return SalesforceClient(connection, **kwargs)


def _batches(items, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _since(connection, operation, start_date):
    if start_date is not None:
        return start_date
    return (
        Run.objects.filter(configuration_id=connection.pk, kind=operation, watermark__isnull=False)
        .order_by("-started_at")
        .values_list("watermark", flat=True)
        .first()
    )


def _errors_text(errors: list[dict]) -> tuple[str, str]:
    code = str((errors or [{}])[0].get("statusCode", "")) or "refused"
    text = "; ".join(
        f"{e.get('statusCode')}: {e.get('message')}" + (f" ({', '.join(e['fields'])})" if e.get("fields") else "")
        for e in errors or []
    )
    return code, text or "refused without a reason"


class _Learners:
    """Salesforce ids of the learners (User or Contact) by e-mail; contacts created for the missing ones."""

    def __init__(self, connection, client):
        self.connection, self.client = connection, client
        self.ids: dict[str, str] = {}
        self.refused: dict[str, tuple[str, str]] = {}  # e-mail -> (code, message)

    def resolve(self, emails: set[str]) -> None:
        wanted = {email.lower() for email in emails if email} - set(self.ids) - set(self.refused)
        if not wanted:
            return
        sobject = self.connection.link_to
        self.ids.update(self.client.ids_by_email(sobject, sorted(wanted)))
        missing = sorted(wanted - set(self.ids))
        if not missing:
            return
        if sobject == LinkTo.USER:
            for email in missing:
                self.refused[email] = ("no_salesforce_user", "No active Salesforce user has this e-mail address.")
            return
        names = {
            email.lower(): (first, last or username)
            for email, first, last, username in get_user_model()
            .objects.filter(email__in=missing)
            .values_list("email", "first_name", "last_name", "username")
        }
        from integrated_channels.salesforce_records.client import COLLECTION

        for chunk in _batches(missing, COLLECTION):
            contacts = [
                {
                    "attributes": {"type": "Contact"},
                    "Email": email,
                    "FirstName": names.get(email, ("", ""))[0],
                    "LastName": names.get(email, ("", email))[1] or email,
                }
                for email in chunk
            ]
            for email, result in zip(chunk, self.client.create(contacts), strict=True):
                if result.get("success"):
                    self.ids[email] = result["id"]
                else:
                    code, text = _errors_text(result.get("errors"))
                    self.refused[email] = (code, f"The contact could not be created: {text}")


class _Outcomes:
    """The run's per-record outcomes: sent, and the failed records of the error report."""

    def __init__(self, run):
        self.run = run
        self.sent = 0
        self.errors: list[RunError] = []

    def fail(self, *, email: str, username: str, course_id: str, key: str, code: str, message: str) -> None:
        self.errors.append(
            RunError(
                run=self.run,
                outcome=RunError.Outcome.FAILED,
                email=email or "",
                username=username or "",
                course_id=course_id or "",
                remote_id=key,
                code=(code or "refused")[:64],
                message=message,
            )
        )

    def fail_row(self, row, code: str, message: str) -> None:
        self.fail(
            email=row.get("Email"),
            username=row.get("Username"),
            course_id=row.get("CourseId"),
            key=row["_key"],
            code=code,
            message=message,
        )


def _external_id(operation: str, key: str) -> str:
    return f"{operation[0].upper()}-{key}"


def _record(connection, operation: str, fields, key: str, row: dict, learner_id: str) -> dict:
    """The fields of one record (without ``attributes``): external id, lookup, the report's columns."""
    if row.get("Type") == "learning path course":
        row["EmbeddedCourseId"] = row["CourseId"]
    record = {connection.external_id_field: _external_id(operation, key), connection.learner_lookup_field: learner_id}
    record.update({name: row.get(column) for name, column in fields if row.get(column) is not None})
    return record


def export_records(
    connection, operation: str, *, trigger, start_date=None, api_user=None, run=None, client=None
) -> Run:
    """Collections of 200 up to the connection's ``bulk_threshold`` records, Bulk API 2.0 jobs above it."""
    from integrated_channels.salesforce_records.client import COLLECTION

    object_field, select, fields = RECORDS[operation]
    sobject = getattr(connection, object_field)
    run = run or runs.start_run(
        configuration=connection, kind=operation, trigger=trigger, api_user=api_user, start_date=start_date
    )
    client = client or _client(connection)
    until = timezone.now()
    selection = select(connection.customer, _since(connection, operation, start_date), until)
    learners = _Learners(connection, client)
    outcomes = _Outcomes(run)
    rows = iter(selection.rows)
    threshold = connection.bulk_threshold
    head = list(islice(rows, threshold + 1)) if threshold else []
    bulk = bool(threshold) and len(head) > threshold
    batches = _batches(chain(head, rows), COLLECTION)
    state = {"unsent": 0}  # records read but without an outcome when a run stops
    try:
        if bulk:
            _send_bulk(connection, operation, sobject, fields, client, learners, outcomes, batches, state)
        else:
            _send_collections(connection, operation, sobject, fields, client, learners, outcomes, batches, state)
    except ChannelError as exc:
        logger.info("Salesforce run #%s stopped: %s", run.pk, exc)
        unsent = state["unsent"] + sum(len(b) for b in batches)  # and every batch not read yet
        RunError.objects.bulk_create(outcomes.errors)
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=exc.message)
        failed = len(outcomes.errors)
        skipped = sum(selection.skip_reasons.values())
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            selected=outcomes.sent + failed + unsent + skipped,
            sent=outcomes.sent,
            failed=failed,
            skipped=skipped,
            skip_reasons=selection.skip_reasons,
            not_attempted=unsent,
            remote_calls=client.calls,
        )
        return run
    RunError.objects.bulk_create(outcomes.errors)
    failed = len(outcomes.errors)
    skipped = sum(selection.skip_reasons.values())
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
        selected=outcomes.sent + failed + skipped,
        sent=outcomes.sent,
        failed=failed,
        skipped=skipped,
        skip_reasons=selection.skip_reasons,
        remote_calls=client.calls,
        watermark=until,
    )
    return run


def _usable(batch, learners, outcomes) -> Iterator[tuple[str, dict, str]]:
    """(key, row, the learner's Salesforce id) of a batch's rows; rows of refused learners fail."""
    learners.resolve({row["Email"] for _key, row in batch})
    for key, row in batch:
        row["_key"] = key
        email = (row.get("Email") or "").lower()
        if email in learners.refused:
            outcomes.fail_row(row, *learners.refused[email])
            continue
        yield key, row, learners.ids[email]


def _send_collections(connection, operation, sobject, fields, client, learners, outcomes, batches, state) -> None:
    for batch in batches:
        state["unsent"] = len(batch)
        kept, records = [], []
        for key, row, learner_id in _usable(batch, learners, outcomes):
            records.append(
                {"attributes": {"type": sobject}, **_record(connection, operation, fields, key, row, learner_id)}
            )
            kept.append(row)
        state["unsent"] = len(kept)
        if records:
            for row, result in zip(kept, client.upsert(sobject, connection.external_id_field, records), strict=True):
                if result.get("success"):
                    outcomes.sent += 1
                else:
                    outcomes.fail_row(row, *_errors_text(result.get("errors")))
        state["unsent"] = 0
        failed = len(outcomes.errors)
        runs.heartbeat(
            outcomes.run, selected=outcomes.sent + failed, sent=outcomes.sent, failed=failed, remote_calls=client.calls
        )


def _send_bulk(connection, operation, sobject, fields, client, learners, outcomes, batches, state) -> None:
    """Bulk API 2.0 upsert jobs (decision 0402): the records as CSV (LF line endings, a header of the
    object's field names), one upload of about ``BULK_JOB_BYTES`` at most per job; each job's successful
    and failed results read back record by record (matched by the external id)."""
    from integrated_channels.salesforce_records import client as sf

    columns = [connection.external_id_field, connection.learner_lookup_field, *(name for name, _column in fields)]
    spool = _Spool(columns)
    for batch in batches:
        state["unsent"] = spool.count + len(batch)
        for key, row, learner_id in _usable(batch, learners, outcomes):
            spool.add(_record(connection, operation, fields, key, row, learner_id))
        state["unsent"] = spool.count
        if spool.size >= sf.BULK_JOB_BYTES:  # cut at a batch's end: 200 records stay far under the 1 MB margin
            _run_job(connection, sobject, client, outcomes, spool)
            spool = _Spool(columns)
            state["unsent"] = 0
    if spool.count:
        _run_job(connection, sobject, client, outcomes, spool)
    state["unsent"] = 0


class _Spool:
    """One job's CSV, in memory up to 8 MB then on disk; its size in bytes and its external ids."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.file = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by data()
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="", write_through=True)
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.writer.writerow(columns)
        self.ids: set[str] = set()

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def size(self) -> int:
        return self.file.tell()

    def add(self, record: dict) -> None:
        self.ids.add(record[self.columns[0]])
        self.writer.writerow(["" if record.get(name) is None else record[name] for name in self.columns])

    def data(self) -> bytes:
        self.file.seek(0)
        data = self.file.read()
        self.text.close()
        return data


def _bulk_error(text: str) -> tuple[str, str]:
    """``sf__Error`` is ``STATUS_CODE:message[:fields]``."""
    code = (text or "").split(":", 1)[0].strip() or "refused"
    return code, text or "refused without a reason"


def _run_job(connection, sobject, client, outcomes, spool: _Spool) -> None:
    external_id = connection.external_id_field
    job = client.create_ingest_job(sobject, external_id)
    try:
        client.upload_job_data(job, spool.data())
        client.set_job_state(job["id"], "UploadComplete")
    except ChannelError:
        with suppress(ChannelError):
            client.set_job_state(job["id"], "Aborted")
        raise
    info = client.wait_for_job(job["id"])
    waiting = set(spool.ids)

    def take(row) -> str | None:
        value = row.get(external_id) or ""
        if value not in waiting:
            return None
        waiting.discard(value)
        return value

    def fail(row, value: str, code: str, message: str) -> None:
        outcomes.fail(
            email=row.get("Email__c"),
            username=row.get("Username__c"),
            course_id=row.get("Course_Id__c"),
            key=value.split("-", 1)[-1],
            code=code,
            message=message,
        )

    for row in client.job_results(job["id"], "successfulResults"):
        if take(row) is not None:
            outcomes.sent += 1
    for row in client.job_results(job["id"], "failedResults"):
        value = take(row)
        if value is not None:
            fail(row, value, *_bulk_error(row.get("sf__Error", "")))
    if info.get("state") != "JobComplete":
        reason = f"Salesforce did not process the record: job {job['id']} {info.get('state')}"
        reason += f" ({info['errorMessage']})" if info.get("errorMessage") else ""
        for row in client.job_results(job["id"], "unprocessedrecords"):
            value = take(row)
            if value is not None:
                fail(row, value, "unprocessed", reason + ".")
    for value in sorted(waiting):  # neither result lists it: never counted as sent
        fail({}, value, "no_result", f"Salesforce job {job['id']} gave no result for this record.")
    failed = len(outcomes.errors)
    runs.heartbeat(
        outcomes.run, selected=outcomes.sent + failed, sent=outcomes.sent, failed=failed, remote_calls=client.calls
    )


def export_transcripts(connection, **kwargs) -> Run:
    return export_records(connection, TRANSCRIPTS, **kwargs)


def export_skills(connection, **kwargs) -> Run:
    return export_records(connection, SKILLS, **kwargs)


def export_user_report(connection, **kwargs) -> Run:
    return export_records(connection, USER_REPORT, **kwargs)


def test_connection(connection) -> ConnectionTest:
    """A token, then each custom object's fields: its external id and lookup fields must exist."""
    client = _client(connection)
    problems, found = [], []
    try:
        for object_field, _select, fields in RECORDS.values():
            sobject = getattr(connection, object_field)
            names = {field.get("name") for field in client.describe(sobject).get("fields", [])}
            wanted = {connection.external_id_field, connection.learner_lookup_field} | {name for name, _c in fields}
            missing = sorted(wanted - names)
            found.append(sobject)
            if missing:
                problems.append(f"{sobject} lacks {', '.join(missing)}")
    except ChannelError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    finally:
        client.close()
    if problems:
        return ConnectionTest(ok=False, message="Connected, but " + "; ".join(problems) + ".", found=found)
    return ConnectionTest(ok=True, message="Connected.", found=found, found_label="custom objects")


test_connection.__test__ = False


def fields_markdown() -> str:
    """The custom objects section of docs/connectors/report-objects.md (a test keeps the page current)."""
    lines = []
    for operation, (object_field, _select, fields) in RECORDS.items():
        default = SalesforceRecordsConnection._meta.get_field(object_field).default
        lines += [
            f"### `{default}` (setting `{object_field}`; operation `{operation}`)",
            "",
            "| Field | From |",
            "|---|---|",
        ]
        lines += ["| External ID field (setting `external_id_field`) | the row's key |"]
        lines += ["| lookup to User or Contact (setting `learner_lookup_field`) | the learner's Salesforce id |"]
        lines += [f"| `{name}` | `{column}` |" for name, column in fields]
        lines.append("")
    return "\n".join(lines)
