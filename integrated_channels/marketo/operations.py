"""The Marketo Engage connector's operations: learners as leads, the three reports as custom objects.

Every operation sends the window since its last successful run (or the on-demand start date; the
first run sends everything) in batches of 300, the most Marketo takes per call. Marketo upserts
(leads by e-mail, custom objects by their dedupe fields), so a rerun never duplicates. Each record's
status is read back: a ``skipped`` record (with Marketo's reasons) is a failed record of the run's
error report; the others are sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.integrated_channel.exceptions import ChannelError, TransmissionError
from integrated_channels.integrated_channel.exporters import reports
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

logger = logging.getLogger(__name__)

LEADS, TRANSCRIPT_OBJECTS, SKILL_OBJECTS, USER_OBJECTS, EVENTS = (
    "leads_export",
    "transcripts_objects",
    "skills_objects",
    "user_report_objects",
    "events_export",
)


def _client(connection, **kwargs):
    from integrated_channels.marketo.client import MarketoClient

    return MarketoClient(connection, **kwargs)


# The custom objects: (api name, display name, fields as (name, Marketo type, dedupe), the report's columns)
OBJECTS = {
    TRANSCRIPT_OBJECTS: (
        "cp_learnerTranscript",
        "Learner transcript",
        (
            ("enrollmentId", "integer", True, "EnrollmentId"),
            ("email", "link", False, "Email"),
            ("courseId", "string", False, "CourseId"),
            ("courseTitle", "string", False, "CourseTitle"),
            ("status", "string", False, "Status"),
            ("grade", "string", False, "Grade"),
            ("enrolledAt", "datetime", False, "EnrolledAt"),
            ("completedAt", "datetime", False, "CompletedAt"),
        ),
    ),
    SKILL_OBJECTS: (
        "cp_userSkill",
        "User skill",
        (
            ("achievementId", "string", True, "key"),
            ("email", "link", False, "Email"),
            ("skill", "string", False, "Skill"),
            ("level", "string", False, "Level"),
            ("courseId", "string", False, "CourseId"),
            ("achievedAt", "datetime", False, "AchievedAt"),
        ),
    ),
    USER_OBJECTS: (
        "cp_userReport",
        "User report",
        (
            ("learnerId", "integer", True, "LearnerId"),
            ("email", "link", False, "Email"),
            ("username", "string", False, "Username"),
            ("enrollments", "integer", False, "Enrollments"),
            ("completions", "integer", False, "Completions"),
            ("linkedAt", "datetime", False, "LinkedAt"),
        ),
    ),
}


SYSTEM_FIELDS = frozenset({"marketoGUID", "createdAt", "updatedAt"})


def _owned(api_name: str) -> set[str]:
    return next({name for name, *_rest in fields} for api, _d, fields in OBJECTS.values() if api == api_name)


def added_object_fields(found: dict) -> list[str]:
    """``cp_object.field`` of the fields an administrator added to the cp_ objects Test connection described."""
    return [
        f"{api_name}.{name}"
        for api_name, _display, _fields in OBJECTS.values()
        for name in found.get(api_name, [])
        if name not in _owned(api_name) and name not in SYSTEM_FIELDS
    ]


def object_target_error(target) -> str:
    """Why a mapping target ``cp_object.field`` is refused ("" when it is fine or a lead field)."""
    if not isinstance(target, str) or "." not in target:
        return ""
    api_name, name = target.split(".", 1)
    if api_name not in {api for api, _d, _f in OBJECTS.values()}:
        return f"{target}: {api_name} is not one of the connector's custom objects."
    if name in _owned(api_name) or name in SYSTEM_FIELDS:
        return f"{target}: the connector fills {name} itself."
    return ""


def _learner_value(field: str, email, username, first, last, attributes):
    own = {"email": email, "username": username, "first_name": first, "last_name": last}
    value = (attributes or {}).get(field) if field not in ("email", "username") else None
    return value if value not in (None, "") else own.get(field, "")


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _window(connection, operation: str, start_date):
    if start_date is not None:
        return start_date
    return (
        Run.objects.filter(configuration_id=connection.pk, kind=operation, watermark__isnull=False)
        .order_by("-started_at")
        .values_list("watermark", flat=True)
        .first()
    )


def _learners(connection, since):
    learners = EnterpriseCustomerUser.objects.filter(customer_id=connection.customer_id, linked=True, active=True)
    if since is not None:
        learners = learners.filter(Q(modified__gt=since) | Q(user__date_joined__gt=since))
    return learners.order_by("pk")


def lead_rows(connection, since) -> Iterator[tuple[str, dict]]:
    """(e-mail, lead) of the learners changed since ``since``, mapped by the connection's lead mapping (its
    lead fields; ``cp_object.field`` targets go to the custom objects)."""
    mapping = connection.lead_mapping or {"email": "email"}
    values = _learners(connection, since).values_list(
        "pk", "user__email", "user__username", "user__first_name", "user__last_name", "attributes"
    )
    lead_targets = {field: target for field, target in mapping.items() if target and "." not in target}
    for _pk, email, username, first, last, attributes in values.iterator(chunk_size=5000):
        lead = {
            target: _learner_value(field, email, username, first, last, attributes)
            for field, target in lead_targets.items()
        }
        if email:
            yield email, lead


def object_records(connection, operation: str, since, until) -> tuple[reports.Selection, Iterator[tuple[str, dict]]]:
    _api, _display, fields = OBJECTS[operation]
    if operation == TRANSCRIPT_OBJECTS:
        selection = reports.transcripts(connection.customer, since, until)
    elif operation == SKILL_OBJECTS:
        selection = reports.skills(connection.customer, since, until)
    else:
        selection = reports.user_report(connection.customer, since, until)

    def records():
        for key, row in selection.rows:
            record = {}
            for name, _kind, _dedupe, column in fields:
                value = key if column == "key" else row.get(column)
                if value is not None:
                    record[name] = value
            yield key, record

    return selection, records()


def _export(
    connection, operation: str, *, trigger, start_date, api_user, run, client, items, send, prepare=None, by_email=False
):
    """Send ``items`` ((label, record)) in batches of 300 with ``send(client, batch) -> results``."""
    from integrated_channels.marketo.client import BATCH

    run = run or runs.start_run(
        configuration=connection, kind=operation, trigger=trigger, api_user=api_user, start_date=start_date
    )
    client = client or _client(connection)
    until = timezone.now()
    sent = failed = 0
    errors: list[RunError] = []
    batches = _batches(items(until), BATCH)
    batch = None
    try:
        batch = next(batches, None)
        if batch is not None and prepare is not None:
            prepare(client)
        while batch is not None:
            results = send(client, [record for _label, record in batch])
            for index, (label, _record) in enumerate(batch):
                result = next((r for r in results if r.get("seq", -1) == index), None)
                if result is None and index < len(results) and "seq" not in results[index]:
                    result = results[index]  # leads answer in input order (no seq)
                status = (result or {}).get("status", "")
                if status in ("created", "updated", "added"):
                    sent += 1
                    continue
                failed += 1
                reasons = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in (result or {}).get("reasons", []))
                errors.append(
                    RunError(
                        run=run,
                        outcome=RunError.Outcome.FAILED,
                        email=label if by_email else "",
                        remote_id="" if by_email else label,
                        code=status or "no_result",
                        message=f"Marketo {status or 'gave no result'} the record: {reasons or 'no reason given'}",
                    )
                )
            runs.heartbeat(run, selected=sent + failed, sent=sent, failed=failed, remote_calls=client.calls)
            batch = next(batches, None)
    except (TransmissionError, ChannelError) as exc:
        unsent = (len(batch) if batch is not None else 0) + sum(len(rest) for rest in batches)
        RunError.objects.bulk_create(errors)
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=exc.message)
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            selected=sent + failed + unsent,
            sent=sent,
            failed=failed,
            not_attempted=unsent,
            remote_calls=client.calls,
        )
        return run
    RunError.objects.bulk_create(errors)
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
        selected=sent + failed,
        sent=sent,
        failed=failed,
        remote_calls=client.calls,
        watermark=until,
    )
    return run


def export_leads(connection, *, trigger, start_date=None, api_user=None, run=None, client=None) -> Run:
    since = _window(connection, LEADS, start_date)
    return _export(
        connection,
        LEADS,
        trigger=trigger,
        start_date=start_date,
        api_user=api_user,
        run=run,
        client=client,
        items=lambda until: lead_rows(connection, since),
        send=lambda client, batch: client.sync_leads(batch),
        by_email=True,
    )


def export_objects(connection, operation: str, *, trigger, start_date=None, api_user=None, run=None, client=None):
    since = _window(connection, operation, start_date)
    api_name, display, fields = OBJECTS[operation]

    def prepare(client) -> None:
        if client.object_exists(api_name):
            return
        if not connection.create_custom_objects:
            raise ChannelError(
                f"The custom object {api_name} does not exist in Marketo and creating it is off for this connection."
            )
        client.create_object(
            {"apiName": api_name, "displayName": display, "pluralName": f"{display}s", "showInLeadDetail": True},
            [
                {
                    "name": name,
                    "displayName": name,
                    "dataType": kind,
                    **({"isDedupeField": True} if dedupe else {}),
                    **({"relatedTo": {"name": "lead", "field": "email"}} if kind == "link" else {}),
                }
                for name, kind, dedupe, _column in fields
            ],
        )

    return _export(
        connection,
        operation,
        trigger=trigger,
        start_date=start_date,
        api_user=api_user,
        run=run,
        client=client,
        items=lambda until: object_records(connection, operation, since, until)[1],
        send=lambda client, batch: client.sync_objects(api_name, _with_learner_fields(connection, api_name, batch)),
        prepare=prepare,
    )


def _with_learner_fields(connection, api_name: str, records: list[dict]) -> list[dict]:
    """The records with the learner fields the lead mapping sends to fields added to this object
    (``cp_object.field``), looked up by the records' e-mail in one query."""
    prefix = f"{api_name}."
    extras = {
        field: target[len(prefix) :]
        for field, target in (connection.lead_mapping or {}).items()
        if target and target.startswith(prefix)
    }
    if not extras or not records:
        return records
    emails = {record.get("email") for record in records if record.get("email")}
    learners = {
        email.lower(): (email, username, first, last, attributes)
        for email, username, first, last, attributes in EnterpriseCustomerUser.objects.filter(
            customer_id=connection.customer_id, linked=True, user__email__in=emails
        ).values_list("user__email", "user__username", "user__first_name", "user__last_name", "attributes")
    }
    for record in records:
        learner = learners.get(str(record.get("email", "")).lower())
        if learner is None:
            continue
        for field, name in extras.items():
            value = _learner_value(field, *learner)
            if value not in (None, ""):
                record[name] = value
    return records


def export_transcripts(connection, **kwargs):
    return export_objects(connection, TRANSCRIPT_OBJECTS, **kwargs)


def export_skills(connection, **kwargs):
    return export_objects(connection, SKILL_OBJECTS, **kwargs)


def export_user_report(connection, **kwargs):
    return export_objects(connection, USER_OBJECTS, **kwargs)


def event_rows(connection, since, until) -> Iterator[tuple[str, dict]]:
    """(e-mail, activity without its lead id) of the selected events of the window ``(since, until]``."""
    from enterprise.models import EnterpriseCourseEnrollment
    from enterprise.models.enrollment import StartedBy

    types = connection.event_activity_types or {}
    customer = connection.customer
    learners = EnterpriseCustomerUser.objects.filter(customer_id=customer.pk, linked=True, active=True)
    window = {"created__lte": until, **({"created__gt": since} if since else {})}

    def activity(kind, email, moment, primary, **attributes) -> tuple[str, dict]:
        return email, {
            "activityDate": moment,
            "activityTypeId": types[kind],
            "primaryAttributeValue": str(primary),
            "attributes": [
                {"name": name, "value": str(value)} for name, value in attributes.items() if value is not None
            ],
        }

    if "new_user" in types:
        for email, created in learners.filter(**window).values_list("user__email", "created").iterator():
            yield activity("new_user", email, created.isoformat(), customer.name)
    if "user_metadata_updated" in types and since is not None:
        changed = learners.filter(modified__gt=since, modified__lte=until, created__lte=since)
        for email, modified in changed.values_list("user__email", "modified").iterator():
            yield activity("user_metadata_updated", email, modified.isoformat(), customer.name)
    enrollment_kinds = {
        kind: started for kind, started in (("training_enrollment", False), ("self_enrollment", True)) if kind in types
    }
    if enrollment_kinds:
        enrollments = EnterpriseCourseEnrollment.objects.filter(
            learner__customer_id=customer.pk, learner__linked=True, **window
        )
        if len(enrollment_kinds) == 1:  # one kind: only its enrollments are read
            by_learner = next(iter(enrollment_kinds.values()))
            enrollments = (enrollments.filter if by_learner else enrollments.exclude)(started_by=StartedBy.LEARNER)
        rows = enrollments.values_list(
            "learner__user__email", "created", "course_id", "source", "started_by", "program_id"
        )
        for email, created, course_id, source, started_by, program_id in rows.iterator():
            kind = "self_enrollment" if started_by == StartedBy.LEARNER else "training_enrollment"
            if kind in enrollment_kinds:
                yield activity(
                    kind,
                    email,
                    created.isoformat(),
                    course_id,
                    source=source,
                    startedBy=started_by,
                    learningPath=program_id or None,
                )
    if "user_activity_updated" in types and since is not None:
        for _key, row in reports.transcripts(customer, since, until).rows:
            if row["Status"] in ("in progress", "completed"):
                yield activity(
                    "user_activity_updated",
                    row["Email"],
                    until.isoformat(),
                    row["CourseId"],
                    status=row["Status"],
                    grade=row["Grade"],
                )
    if "skill_completion" in types:
        for _key, row in reports.skills(customer, since, until).rows:
            if row["AchievedAt"] and (since is None or row["AchievedAt"] > since.isoformat()):
                yield activity(
                    "skill_completion",
                    row["Email"],
                    row["AchievedAt"],
                    row["Skill"],
                    level=row["Level"] or None,
                    course=row["CourseId"],
                )


def export_events(connection, *, trigger, start_date=None, api_user=None, run=None, client=None) -> Run:
    """The selected events as custom activities on the learners' leads (looked up by e-mail)."""
    since = _window(connection, EVENTS, start_date)
    leads: dict[str, int] = {}

    def send(client, batch: list[dict]) -> list[dict]:
        wanted = {item["_email"] for item in batch} - set(leads)
        if wanted:
            leads.update(client.lead_ids(sorted(wanted)))
        known = [item for item in batch if item["_email"] in leads]
        results = (
            client.add_activities(
                [{k: v for k, v in item.items() if k != "_email"} | {"leadId": leads[item["_email"]]} for item in known]
            )
            if known
            else []
        )
        answers = iter(results)
        return [
            {**next(answers), "seq": index}
            if item["_email"] in leads
            else {
                "seq": index,
                "status": "skipped",
                "reasons": [
                    {"code": "no_lead", "message": "No lead has this e-mail: export the users as leads first."}
                ],
            }
            for index, item in enumerate(batch)
        ]

    def items(until):
        for email, item in event_rows(connection, since, until):
            yield email, {**item, "_email": (email or "").lower()}

    return _export(
        connection,
        EVENTS,
        trigger=trigger,
        start_date=start_date,
        api_user=api_user,
        run=run,
        client=client,
        items=items,
        send=send,
        by_email=True,
    )


def test_connection(connection) -> ConnectionTest:
    """A token, the instance's lead fields (the choices of the lead mapping, kept on the connection) and the
    fields of the cp_ custom objects present (each must carry the fields the connector sends)."""
    from integrated_channels.marketo.models import MarketoConnection

    client = _client(connection)
    try:
        fields = client.lead_fields()
        found = {"lead": fields}
        for api_name, _display, _fields in OBJECTS.values():
            present = client.object_fields(api_name)
            if present is not None:
                found[api_name] = present
    except ChannelError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    finally:
        client.close()
    if connection.pk:
        MarketoConnection.objects.filter(pk=connection.pk).update(marketo_fields=found)
    connection.marketo_fields = found
    problems = []
    offered = set(fields) | set(added_object_fields(found))
    missing = sorted(set((connection.lead_mapping or {}).values()) - offered - {None})
    if missing:
        problems.append(f"the lead mapping names fields Marketo does not have: {', '.join(missing)}")
    for api_name, _display, object_fields in OBJECTS.values():
        if api_name in found:
            lacking = [name for name, *_rest in object_fields if name not in found[api_name]]
            if lacking:
                problems.append(f"the custom object {api_name} lacks the field(s) {', '.join(lacking)}")
    objects = [name for name in found if name != "lead"]
    listed = f" Custom objects present: {', '.join(objects)}." if objects else ""
    if problems:
        return ConnectionTest(
            ok=False,
            message=f"Connected, but {'; '.join(problems)}.{listed}",
            found=fields,
            found_label="lead fields",
        )
    return ConnectionTest(ok=True, message=f"Connected.{listed}", found=fields, found_label="lead fields")


test_connection.__test__ = False


def objects_markdown() -> str:
    """The custom objects section of docs/connectors/report-objects.md (a test keeps the page current)."""
    lines = []
    for operation, (api_name, display, fields) in OBJECTS.items():
        lines += [
            f"### `{api_name}` ({display}; operation `{operation}`)",
            "",
            "| Field | Type | From |",
            "|---|---|---|",
        ]
        for name, kind, dedupe, column in fields:
            source = "the row's key" if column == "key" else f"`{column}`"
            note = " (dedupe)" if dedupe else " (link to the lead's email)" if kind == "link" else ""
            lines.append(f"| `{name}` | {kind}{note} | {source} |")
        lines.append("")
    return "\n".join(lines)
