"""Import purchases: complete orders since the last sync → enterprise enrollments, each line once.

Each paid line is validated against the catalog and the customer's price (SKU known, amount and
currency equal to the price, an e-mail on the order); valid lines are grouped by course/program
and enrolled set-based through Manage Learners' bulk services: every buyer linked once
(``link_stream``: a linked learner, or an unknown address a pending learner enrolled at registration),
then one ``enroll_chunk`` per group (decision 0461). Every line, valid
or not, is recorded in ``ProcessedOrderLine`` (unique per connection and item), so a rerun skips it.
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.exceptions import EnterpriseError
from enterprise.lms import get_enrollment_backend
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services.bulk_link import ChunkLinks, LinkedRef, PendingRef, RowResult, email_error, link_stream
from enterprise.services.enrollment import enroll_chunk, resolve_target
from enterprise.services.prices import prices_for
from enterprise.services.unenrollment import unenroll_learners_from_csv
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.models import ProcessedOrderLine
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs

IMPORT = "commerce_purchase_import"
PAGE_SIZE = 100
MAX_PAGES = 10_000
OVERLAP = datetime.timedelta(minutes=5)  # orders updated during the last read are read again (and skipped)
#: rows per INSERT or UPDATE from arrays on PostgreSQL (a few parameters each, whatever the rows)
ARRAY_BATCH = 10_000


def _commerce_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(text) -> datetime.datetime | None:
    parsed = parse_datetime(str(text or "").replace(" ", "T"))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def import_purchases(configuration, *, trigger, start_date=None, api_user=None, run=None, client=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=IMPORT, trigger=trigger, api_user=api_user)
    client = client or CommerceClient(configuration)
    since = start_date or configuration.orders_synced_until
    started = timezone.now()
    lines: list[dict] = []
    refunds: list[str] = []
    read_since = _commerce_time(since - OVERLAP) if since else None
    try:
        for order in _all(client.orders_page, read_since):
            lines += _lines_of(order)
        for memo in _all(client.creditmemos_page, read_since):
            refunds += [str(item.get("order_item_id")) for item in memo.get("items") or [] if isinstance(item, dict)]
    except TransmissionError as exc:
        runs.finish_run(run, status=Run.Status.FAILED, error_code=type(exc).__name__, error_message=str(exc))
        return run
    done = _processed(configuration, [line["item_id"] for line in lines])
    fresh = [line for line in lines if line["item_id"] not in done]
    skipped = len(lines) - len(fresh)
    quotes = {
        kind: prices_for(configuration.customer_id, kind, [line["sku"] for line in fresh])
        for kind in ("course", "program")
    }
    errors, enroll = [], defaultdict(list)
    records = []
    for line in fresh:
        problem, kind = _check(line, quotes)
        outcome = ProcessedOrderLine.Outcome.REFUSED if problem else ProcessedOrderLine.Outcome.ENROLLED
        records.append(
            ProcessedOrderLine(
                configuration=configuration,
                order_id=line["order_id"],
                item_id=line["item_id"],
                sku=line["sku"],
                email=line["email"][:254],
                amount=line["amount"] if line["amount"] is not None else Decimal("0"),
                currency=line["currency"][:3],
                purchased_at=line["purchased_at"],
                outcome=outcome,
                message=problem or "",
                content_type="" if problem else kind,
            )
        )
        if problem:
            errors.append(
                RunError(
                    run=run,
                    outcome=RunError.Outcome.FAILED,
                    email=line["email"][:254],
                    course_id=line["sku"][:255],
                    remote_id=f"order {line['order_id']} item {line['item_id']}",
                    code=problem.split(":")[0],
                    message=problem,
                )
            )
        else:
            enroll[(kind, line["sku"])].append(line)
    targets = {}
    for kind, sku in list(enroll):
        try:
            targets[(kind, sku)] = resolve_target(
                course_id=sku if kind == "course" else "",
                program_id=sku if kind == "program" else "",
                mode=configuration.enrollment_mode,
            )
        except EnterpriseError as exc:  # e.g. the mode is not offered: these lines are refused
            del enroll[(kind, sku)]
            for record in records:
                if record.sku == sku and record.outcome == ProcessedOrderLine.Outcome.ENROLLED:
                    record.outcome, record.message = ProcessedOrderLine.Outcome.REFUSED, str(exc)
                    errors.append(
                        RunError(
                            run=run,
                            outcome=RunError.Outcome.FAILED,
                            email=record.email,
                            course_id=sku[:255],
                            remote_id=f"order {record.order_id} item {record.item_id}",
                            code="enrollment_target",
                            message=str(exc),
                        )
                    )
    with transaction.atomic():
        unlinked = _enroll_groups(configuration, enroll, targets)
        for record in records:
            if record.outcome == ProcessedOrderLine.Outcome.ENROLLED and normalize_email(record.email) in unlinked:
                problem = f"not_linked: {unlinked[normalize_email(record.email)]}"
                record.outcome, record.message, record.content_type = ProcessedOrderLine.Outcome.REFUSED, problem, ""
                errors.append(
                    RunError(
                        run=run,
                        outcome=RunError.Outcome.FAILED,
                        email=record.email,
                        course_id=record.sku[:255],
                        remote_id=f"order {record.order_id} item {record.item_id}",
                        code="not_linked",
                        message=problem,
                    )
                )
        _insert_lines(records)
        refunded = _unenroll_refunds(configuration, refunds)
        RunError.objects.bulk_create(errors)
        type(configuration).objects.filter(pk=configuration.pk).update(orders_synced_until=started)
    status = Run.Status.COMPLETED_WITH_ERRORS if errors else Run.Status.COMPLETED
    runs.finish_run(
        run,
        status=status,
        selected=len(lines) + len(refunds),
        sent=len(fresh) - len(errors) + refunded,
        failed=len(errors),
        skipped=skipped + len(refunds) - refunded,
    )
    return run


def _enroll_groups(configuration, enroll: dict, targets: dict) -> dict[str, str]:
    """Link every buyer once, then enroll each (kind, SKU) group's learners set-based (the caller's
    transaction): the addresses go through Manage Learners' ``link_stream`` in chunks (one look-up and
    a fixed number of writes per chunk: a linked learner, or a pending learner enrolled at
    registration), then each group is one ``enroll_chunk`` of its learners, between the purchase
    look-up and the purchase stamps (``_Purchases``). Return {address: why} of the buyers that could
    not be linked (e.g. an address Manage Learners refuses): their lines are refused, not enrolled."""
    if not enroll:
        return {}
    customer = configuration.customer
    refs: dict[str, LinkedRef | PendingRef] = {}
    unlinked: dict[str, str] = {}
    addresses = []
    for email in sorted({normalize_email(line["email"]) for group in enroll.values() for line in group}):
        error = email_error(email)
        if error:
            unlinked[email] = f"{email!r} {error}"
        else:
            addresses.append(email)

    def collect(chunk: list[RowResult], links: ChunkLinks) -> None:
        for ref in [*links.linked, *links.pending]:
            refs[ref.row.email] = ref
        for row in chunk:
            if row.email not in refs:
                unlinked[row.email] = row.message or str(row.status)

    chunk_size = enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE
    chunks = (
        [RowResult(line=n, value=email, email=email) for n, email in enumerate(addresses[start : start + chunk_size])]
        for start in range(0, len(addresses), chunk_size)
    )
    link_stream(customer=customer, chunks=chunks, on_chunk=collect)
    backend = get_enrollment_backend()
    for (kind, sku), group in enroll.items():
        bought = _Purchases(configuration, targets[(kind, sku)].course_ids, group)
        mine = [refs[email] for email in bought.by_email if email in refs]
        enroll_chunk(
            target=targets[(kind, sku)],
            links=ChunkLinks(
                linked=[ref for ref in mine if isinstance(ref, LinkedRef)],
                pending=[ref for ref in mine if isinstance(ref, PendingRef)],
            ),
            dry_run=False,
            backend=backend,
            source=EnrollmentSource.IMPORT,
            started_by=StartedBy.LEARNER,  # the learner bought it: a self-enrollment
        )
        bought.record()
    return unlinked


class _Purchases:
    """The purchase (amount, currency, date) each enrollment a group of lines makes carries (``Purchase``).

    Read before the lines are enrolled: which enrollments already carry a purchase and are in force (a
    second order of the same training does not replace the one that made the enrollment). Recorded after:
    an UPDATE per 200 enrollments and pending enrollments of the group's learners in its courses.
    """

    def __init__(self, configuration, course_ids, lines):
        self.customer_id = configuration.customer_id
        self.course_ids = list(course_ids)
        self.by_email: dict[str, dict] = {}
        for line in sorted(lines, key=lambda line: line["purchased_at"] or timezone.now()):
            self.by_email.setdefault(normalize_email(line["email"]), line)  # a learner's first order
        self.kept = set(
            self._enrollments()
            .filter(purchased_at__isnull=False, unenrolled_at__isnull=True)
            .values_list("pk", flat=True)
        )

    def _enrollments(self):
        return (
            EnterpriseCourseEnrollment.objects.filter(
                learner__customer_id=self.customer_id, course_id__in=self.course_ids
            )
            .annotate(email=Lower("learner__user__email"))
            .filter(email__in=list(self.by_email))
        )

    def record(self) -> None:
        now = timezone.now()
        changed = [
            (pk, *self._stamp(email))
            for pk, email in self._enrollments().values_list("pk", "email")
            if pk not in self.kept
        ]
        _stamp_rows(EnterpriseCourseEnrollment, changed, modified=now)
        pending = PendingEnrollment.objects.filter(
            pending_learner__customer_id=self.customer_id,
            pending_learner__user_email__in=list(self.by_email),
            course_id__in=self.course_ids,
            purchased_at__isnull=True,
        ).values_list("pk", "pending_learner__user_email")
        _stamp_rows(PendingEnrollment, [(pk, *self._stamp(email)) for pk, email in pending], modified=now)

    def _stamp(self, email: str) -> tuple:
        line = self.by_email[email]
        return line["amount"], line["currency"], line["purchased_at"] or timezone.now()


def _insert_lines(records: list[ProcessedOrderLine], batch: int = 500) -> None:
    """``bulk_create`` of the processed lines without its per-value preparation (most of an import's
    time at 100,000 lines). PostgreSQL (decision 0496): one ``INSERT … SELECT FROM unnest(arrays)`` per ``ARRAY_BATCH``
    rows, a dozen parameters whatever the rows (the driver parses a statement's placeholders on each
    execution: a VALUES list of thousands cost more client CPU than the insert's server CPU); elsewhere
    a VALUES list per ``batch`` rows, the values adapted by the database's operations."""
    ops = connection.ops
    table = ops.quote_name(ProcessedOrderLine._meta.db_table)
    names = (
        "configuration_id, order_id, item_id, sku, email, amount, currency, purchased_at, outcome, message,"
        " content_type, refunded_at, created"
    )
    now = ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        for start in range(0, len(records), ARRAY_BATCH):
            chunk = records[start : start + ARRAY_BATCH]
            columns = [
                [r.order_id for r in chunk],
                [r.item_id for r in chunk],
                [r.sku for r in chunk],
                [r.email for r in chunk],
                [r.amount for r in chunk],
                [r.currency for r in chunk],
                [r.purchased_at for r in chunk],
                [r.outcome for r in chunk],
                [r.message for r in chunk],
                [r.content_type for r in chunk],
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT %s, v.*, NULL, %s FROM unnest("  # noqa: S608
                    "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::varchar[],"
                    " %s::timestamptz[], %s::varchar[], %s::text[], %s::varchar[]) AS v",
                    [chunk[0].configuration_id, now, *columns],
                )
        return
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        params = []
        for r in chunk:
            params += [
                r.configuration_id,
                r.order_id,
                r.item_id,
                r.sku,
                r.email,
                ops.adapt_decimalfield_value(r.amount, 12, 3),
                r.currency,
                ops.adapt_datetimefield_value(r.purchased_at),
                r.outcome,
                r.message,
                r.content_type,
                None,
                now,
            ]
        values = ", ".join(["(" + ", ".join(["%s"] * 13) + ")"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}", params)  # noqa: S608 - placeholders


def _stamp_rows(model, rows: list[tuple], *, modified, batch: int = 200) -> None:
    """Set (amount, currency, purchased at) of each (pk, ...) row. PostgreSQL: one ``UPDATE … FROM
    unnest(arrays)`` per ``ARRAY_BATCH`` rows (four arrays, not a placeholder per value); elsewhere one
    UPDATE ... FROM a VALUES list per ``batch`` rows (``bulk_update``'s CASE per row costs more to build
    than to run: 100,000 rows took minutes). Values adapted by the database's own operations."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    has_modified = any(field.name == "modified" for field in model._meta.concrete_fields)
    sets = "paid_amount = v.amount, paid_currency = v.currency, purchased_at = v.at"
    if connection.vendor == "postgresql":
        for start in range(0, len(rows), ARRAY_BATCH):
            chunk = rows[start : start + ARRAY_BATCH]
            params = [[row[n] for row in chunk] for n in range(4)]
            if has_modified:
                params.append(ops.adapt_datetimefield_value(modified))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {sets}{', modified = %s' if has_modified else ''} FROM unnest("  # noqa: S608
                    "%s::bigint[], %s::numeric[], %s::varchar[], %s::timestamptz[]) AS v(id, amount, currency, at)"
                    f" WHERE {table}.id = v.id",
                    params[4:] + params[:4],
                )
        return
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = []
        for pk, amount, currency, at in chunk:
            params += [pk, ops.adapt_decimalfield_value(amount, 12, 3), currency, ops.adapt_datetimefield_value(at)]
        row_sets = sets
        if has_modified:
            row_sets += ", modified = %s"
            params.append(ops.adapt_datetimefield_value(modified))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v(id, amount, currency, at) AS (VALUES {values}) "  # noqa: S608 - placeholders only
                f"UPDATE {table} SET {row_sets} FROM v WHERE {table}.id = v.id",
                params,
            )


def _processed(configuration, item_ids: list[str]) -> set[str]:
    """The item ids among ``item_ids`` already processed (recorded) for this connection. PostgreSQL: the
    ids as one array parameter (``= ANY``), not one placeholder each (the driver parses them all)."""
    lines = ProcessedOrderLine.objects.filter(configuration=configuration)
    if connection.vendor == "postgresql":
        match = RawSQL("item_id = ANY(%s::varchar[])", [item_ids], output_field=BooleanField())
        return set(lines.filter(match).values_list("item_id", flat=True))
    return set(lines.filter(item_id__in=item_ids).values_list("item_id", flat=True))


def _all(read_page, since):
    page = 1
    while page <= MAX_PAGES:
        answer = read_page(since=since, page=page, page_size=PAGE_SIZE)
        yield from answer["items"]
        if page * PAGE_SIZE >= int(answer.get("total_count") or 0) or not answer["items"]:
            return  # Commerce answers the last page again past the end: stop by the count
        page += 1


def _unenroll_refunds(configuration, item_ids: list[str]) -> int:
    """Unenroll the lines of credit memos that an earlier (or this) sync enrolled; each line once."""
    lines = list(
        ProcessedOrderLine.objects.filter(
            configuration=configuration,
            item_id__in=item_ids,
            outcome=ProcessedOrderLine.Outcome.ENROLLED,
            refunded_at__isnull=True,
        )
    )
    groups = defaultdict(list)
    for line in lines:
        groups[(line.content_type, line.sku)].append(line.email)
    for (kind, sku), emails in groups.items():
        csv = "email\n" + "\n".join(emails) + "\n"
        unenroll_learners_from_csv(
            customer=configuration.customer,
            file=io.BytesIO(csv.encode()),
            course_id=sku if kind == "course" else "",
            program_id=sku if kind == "program" else "",
            size=len(csv),
        )
    ProcessedOrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(refunded_at=timezone.now())
    return len(lines)


def _lines_of(order: dict) -> list[dict]:
    lines = []
    for item in order.get("items") or []:
        if not isinstance(item, dict) or item.get("parent_item_id"):
            continue  # a configurable's child line repeats its parent
        try:
            amount = Decimal(str(item.get("price")))
        except (InvalidOperation, ValueError):
            amount = None
        lines.append(
            {
                "order_id": str(order.get("increment_id") or order.get("entity_id")),
                "item_id": str(item.get("item_id")),
                "sku": str(item.get("sku") or ""),
                "amount": amount,
                "currency": str(order.get("order_currency_code") or ""),
                "email": str(order.get("customer_email") or "").strip(),
                "purchased_at": _parse_time(order.get("created_at")),
            }
        )
    return lines


def _check(line: dict, quotes: dict) -> tuple[str | None, str]:
    if "@" not in line["email"]:
        return "no_email: the order has no customer e-mail address.", ""
    for kind in ("course", "program"):
        quote = quotes[kind].get(line["sku"])
        if quote is None:
            continue
        if line["currency"] != quote.currency or line["amount"] is None or line["amount"] != quote.amount:
            return (
                f"amount_mismatch: paid {line['amount']} {line['currency']}, "
                f"the price is {quote.amount} {quote.currency}.",
                kind,
            )
        return None, kind
    return f"unknown_sku: no priced course or program has the SKU {line['sku']!r}.", ""
