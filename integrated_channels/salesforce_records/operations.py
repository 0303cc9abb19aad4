"""Salesforce learning records: transcripts, skills and a user report upserted into custom objects.

Each record is linked to the learner's User or Contact (the connection's choice, matched by
e-mail; with Contact, learners missing in Salesforce are created as contacts first) and upserted
by an external id (the report row's key), 200 per sObject Collections call, so a rerun never
duplicates. Unlike the seed, which shows "completed" even when records failed, each record's
outcome is read back: refused records (Salesforce's status code and message) are failed records
of the run's error report, and the run is "completed with errors".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

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


def export_records(
    connection, operation: str, *, trigger, start_date=None, api_user=None, run=None, client=None
) -> Run:
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
    sent = failed = 0
    errors: list[RunError] = []
    batches = _batches(selection.rows, COLLECTION)
    batch = None

    def fail(row, code: str, message: str) -> None:
        errors.append(
            RunError(
                run=run,
                outcome=RunError.Outcome.FAILED,
                email=row.get("Email") or "",
                username=row.get("Username") or "",
                course_id=row.get("CourseId") or "",
                remote_id=row["_key"],
                code=code[:64],
                message=message,
            )
        )

    before = 0  # errors recorded before the batch being sent
    try:
        for batch in batches:
            before = len(errors)
            learners.resolve({row["Email"] for _key, row in batch})
            records, kept = [], []
            for key, row in batch:
                row["_key"] = key
                email = (row.get("Email") or "").lower()
                if email in learners.refused:
                    fail(row, *learners.refused[email])
                    continue
                if row.get("Type") == "learning path course":
                    row["EmbeddedCourseId"] = row["CourseId"]
                record = {
                    "attributes": {"type": sobject},
                    connection.external_id_field: f"{operation[0].upper()}-{key}",
                }
                record[connection.learner_lookup_field] = learners.ids[email]
                record.update({name: row.get(column) for name, column in fields if row.get(column) is not None})
                records.append(record)
                kept.append(row)
            if records:
                for row, result in zip(
                    kept, client.upsert(sobject, connection.external_id_field, records), strict=True
                ):
                    if result.get("success"):
                        sent += 1
                    else:
                        fail(row, *_errors_text(result.get("errors")))
            failed = len(errors)
            runs.heartbeat(run, selected=sent + failed, sent=sent, failed=failed, remote_calls=client.calls)
        batch = None
    except ChannelError as exc:
        logger.info("Salesforce run #%s stopped: %s", run.pk, exc)
        # the stopped batch's records, but those already refused in it, and every later batch
        unsent = (len(batch) - (len(errors) - before) if batch is not None else 0) + sum(len(b) for b in batches)
        RunError.objects.bulk_create(errors)
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=exc.message)
        failed = len(errors)
        skipped = sum(selection.skip_reasons.values())
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            selected=sent + failed + unsent + skipped,
            sent=sent,
            failed=failed,
            skipped=skipped,
            skip_reasons=selection.skip_reasons,
            not_attempted=unsent,
            remote_calls=client.calls,
        )
        return run
    RunError.objects.bulk_create(errors)
    failed = len(errors)
    skipped = sum(selection.skip_reasons.values())
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
        selected=sent + failed + skipped,
        sent=sent,
        failed=failed,
        skipped=skipped,
        skip_reasons=selection.skip_reasons,
        remote_calls=client.calls,
        watermark=until,
    )
    return run


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
