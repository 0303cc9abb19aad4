"""Import purchases: complete orders since the last sync → enterprise enrollments, each line once.

Each paid line is validated against the catalog and the customer's price (SKU known, amount and
currency equal to the price, an e-mail on the order); valid lines are grouped by course/program
and enrolled set-based through Manage Learners' bulk services: every buyer linked once
(``link_stream``: a linked learner, or an unknown address a pending learner enrolled at registration),
then one ``enroll_chunk`` per group (decision 0461), whose inserts carry each learner's purchase
(decision 0530). Every line, valid or not, is recorded in ``ProcessedOrderLine`` (unique per
connection and item), so a rerun skips it.
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.exceptions import EnterpriseError
from enterprise.lms import get_enrollment_backend
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services.bulk_link import ChunkLinks, LinkedRef, PendingRef, RowResult, email_error, link_stream
from enterprise.services.bulk_sql import AnyOf, insert_rows
from enterprise.services.enrollment import (
    EnrollmentStatus,
    Paid,
    enroll_chunk,
    resolve_course_targets,
    resolve_target,
)
from enterprise.services.prices import prices_for
from enterprise.services.unenrollment import unenroll_learners_from_csv
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.models import ProcessedOrderLine
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs

IMPORT = "commerce_purchase_import"
#: orders per page: the most a store answers with its Web API input limits on (Commerce's default maximum page
#: size, "Maximum SearchCriteria pageSize is 300"); without them any size is answered
PAGE_SIZE = 300
MAX_PAGES = 10_000
OVERLAP = datetime.timedelta(minutes=5)  # orders updated during the last read are read again (and skipped)
ENROLLED, REFUSED = ProcessedOrderLine.Outcome.ENROLLED, ProcessedOrderLine.Outcome.REFUSED
#: a processed line's columns, in the order of ``_record``'s tuples
_RECORD_COLUMNS = (
    "order_id",
    "item_id",
    "sku",
    "email",
    "amount",
    "currency",
    "purchased_at",
    "outcome",
    "message",
    "content_type",
)


def _commerce_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(text) -> datetime.datetime | None:
    text = str(text or "")
    try:
        parsed = datetime.datetime.fromisoformat(text)  # Commerce's "Y-m-d H:i:s" (C-fast); else Django's parser
    except ValueError:
        parsed = parse_datetime(text.replace(" ", "T"))
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
            refunds += [_id(item.get("order_item_id")) for item in memo.get("items") or [] if isinstance(item, dict)]
    except TransmissionError as exc:
        runs.finish_run(run, status=Run.Status.FAILED, error_code=type(exc).__name__, error_message=str(exc))
        return run
    refunds = [item_id for item_id in refunds if item_id]  # a memo line without the order line's id refunds none
    identified = [line for line in lines if line["item_id"]]
    seen = _processed(configuration, [line["item_id"] for line in identified])
    fresh = []
    for line in identified:  # an order updated while the pages were read comes again on a later page: once
        if line["item_id"] not in seen:
            seen.add(line["item_id"])
            fresh.append(line)
    # A line without its item id cannot be recorded (the id is what makes it once): an error of the run, each time
    # its order is read, never a line stored under a made-up id (decision 0566).
    errors: list[RunError] = [_unidentified(run, line) for line in lines if not line["item_id"]]
    unidentified = len(errors)

    def refuse(line: dict, code: str, message: str) -> None:
        line.update(outcome=REFUSED, message=" ".join(message.split()), content_type="")
        errors.append(
            RunError(
                run=run,
                outcome=RunError.Outcome.FAILED,
                email=line["email"][:254],
                course_id=line["sku"][:255],
                remote_id=f"order {line['order_id']} item {line['item_id']}",
                code=code,
                message=message,
            )
        )

    enroll, targets = _validated(configuration, fresh, refuse)
    with transaction.atomic():
        refused = _enroll_groups(configuration, enroll, targets)
        for line in fresh:
            why = line["outcome"] == ENROLLED and refused.get((normalize_email(line["email"]), line["sku"]))
            if why:
                refuse(line, *why)
        insert_rows(
            ProcessedOrderLine,
            columns=_RECORD_COLUMNS,
            rows=[_record(line) for line in fresh],
            constants={"configuration_id": configuration.pk},
        )
        refunded = _unenroll_refunds(configuration, refunds)
        RunError.objects.bulk_create(errors)
        type(configuration).objects.filter(pk=configuration.pk).update(orders_synced_until=started)
    status = Run.Status.COMPLETED_WITH_ERRORS if errors else Run.Status.COMPLETED
    runs.finish_run(
        run,
        status=status,
        selected=len(lines) + len(refunds),
        sent=len(fresh) - (len(errors) - unidentified) + refunded,
        failed=len(errors),
        skipped=len(identified) - len(fresh) + len(refunds) - refunded,
    )
    return run


def _unidentified(run: Run, line: dict) -> RunError:
    """The error of a line the store sent without its ``item_id``: it names the order and the line's place in it."""
    where = f"line {line['line']} of order {line['order_id'] or '(no order number)'}"
    return RunError(
        run=run,
        outcome=RunError.Outcome.FAILED,
        email=line["email"][:254],
        course_id=line["sku"][:255],
        remote_id=f"order {line['order_id']} line {line['line']}"[:255],
        code="no_item_id",
        message=f"no_item_id: {where} (SKU {line['sku'] or '-'}) has no item_id: not recorded, nothing enrolled.",
    )


def _id(value) -> str:
    """A store's id as text; "" for none (never "None")."""
    return "" if value is None else str(value).strip()


def _validated(configuration, fresh: list[dict], refuse) -> tuple[dict, dict]:
    """Check each new line (``_check``) against the prices, then resolve each (kind, SKU) once to its
    enrollment target; ``refuse`` the lines that fail either. Return ({(kind, SKU): [lines]}, {(kind, SKU):
    target}) for the valid lines."""
    quotes = {
        kind: prices_for(configuration.customer_id, kind, {line["sku"] for line in fresh})
        for kind in ("course", "program")
    }
    enroll = defaultdict(list)
    for line in fresh:
        problem, kind = _check(line, quotes)
        line.update(outcome=ENROLLED, message="", content_type=kind)
        if problem:
            refuse(line, problem.split(":")[0], problem)
        else:
            enroll[(kind, line["sku"])].append(line)
    mode = configuration.enrollment_mode
    courses = resolve_course_targets([sku for kind, sku in enroll if kind == "course"], mode=mode)  # one read
    targets = {}
    for kind, sku in list(enroll):
        try:
            target = courses[sku] if kind == "course" else resolve_target(program_id=sku, mode=mode)
            if isinstance(target, EnterpriseError):
                raise target
            targets[(kind, sku)] = target
        except EnterpriseError as exc:  # e.g. the mode is not offered: these lines are refused
            for line in enroll.pop((kind, sku)):
                refuse(line, "enrollment_target", str(exc))
    return enroll, targets


def _record(line: dict) -> tuple:
    """A line as a ``ProcessedOrderLine`` row (``_RECORD_COLUMNS``)."""
    return (
        line["order_id"],
        line["item_id"],
        line["sku"][:255],
        line["email"][:254],
        line["amount"] if line["amount"] is not None else Decimal("0"),
        line["currency"][:3],
        line["purchased_at"],
        line["outcome"],
        line["message"],
        line["content_type"],
    )


def _enroll_groups(configuration, enroll: dict, targets: dict) -> dict[tuple[str, str], tuple[str, str]]:
    """Link every buyer once, then enroll each (kind, SKU) group's learners set-based (the caller's
    transaction): the addresses go through Manage Learners' ``link_stream`` in chunks (one look-up and
    a fixed number of writes per chunk: a linked learner, or a pending learner enrolled at
    registration), then each group is one ``enroll_chunk`` of its learners, which inserts each
    enrollment with the purchase of the learner's first order of it (decision 0530). Return
    {(address, SKU): (code, why)} of the lines that could not be enrolled: a buyer that could not be
    linked (e.g. an address Manage Learners refuses), an enrollment the enrollment backend refused."""
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
    refused = {}
    backend = get_enrollment_backend()
    for (kind, sku), group in enroll.items():
        paid = _first_orders(group)
        mine = [refs[email] for email in paid if email in refs]
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
            paid=paid,
        )
        for email in paid:
            if email not in refs:
                refused[(email, sku)] = ("not_linked", f"not_linked: {unlinked.get(email, 'not linked')}")
            elif refs[email].row.enrollment == EnrollmentStatus.FAILED:  # this group's outcome (rows are reused)
                refused[(email, sku)] = (
                    "enrollment_failed",
                    f"enrollment_failed: {refs[email].row.enrollment_message}",
                )
    return refused


def _first_orders(lines: list[dict]) -> dict[str, Paid]:
    """{address: what the learner paid} of a group's lines: a learner's first order of the training (a
    second order of a training already bought does not replace the purchase that made the enrollment)."""
    paid: dict[str, Paid] = {}
    now = timezone.now()
    for line in sorted(lines, key=lambda line: line["purchased_at"] or now):
        email = normalize_email(line["email"])
        if email not in paid:
            paid[email] = Paid(line["amount"], line["currency"], line["purchased_at"] or now)
    return paid


def _processed(configuration, item_ids: list[str]) -> set[str]:
    """The item ids among ``item_ids`` already processed (recorded) for this connection: the ids as one
    parameter (``bulk_sql.AnyOf``), not one placeholder each (the driver parses them all)."""
    if not item_ids:
        return set()
    lines = ProcessedOrderLine.objects.filter(configuration=configuration)
    return set(lines.filter(AnyOf(F("item_id"), item_ids)).values_list("item_id", flat=True))


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
    for position, item in enumerate(order.get("items") or [], start=1):
        if not isinstance(item, dict) or item.get("parent_item_id"):
            continue  # a configurable's child line repeats its parent
        try:
            amount = Decimal(str(item.get("price")))
        except (InvalidOperation, ValueError):
            amount = None
        line = {
            "order_id": _id(order.get("increment_id") or order.get("entity_id")),
            "item_id": _id(item.get("item_id")),
            "line": position,  # the line's place among the order's items, for the errors that have no item id
            "sku": str(item.get("sku") or ""),
            "amount": amount,
            "currency": str(order.get("order_currency_code") or ""),
            "email": str(order.get("customer_email") or "").strip(),
            "purchased_at": _parse_time(order.get("created_at")),
            "malformed": False,
        }
        texts = ("order_id", "item_id", "sku", "currency", "email")
        if (
            not all(line[name].isprintable() for name in texts)
            or max(map(len, (line["order_id"], line["item_id"]))) > 64
        ):
            # not a store's ids: recorded escaped and cut to the columns (the line is refused, never enrolled)
            line.update({name: line[name].encode("unicode_escape").decode("ascii") for name in texts}, malformed=True)
            line.update(order_id=line["order_id"][:64], item_id=line["item_id"][:64])
        lines.append(line)
    return lines


def _check(line: dict, quotes: dict) -> tuple[str | None, str]:
    if line["malformed"]:
        return (
            (
                "malformed_line: an id, the SKU, the currency or the e-mail address holds control characters,"
                " or an id is over 64 characters."
            ),
            "",
        )
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
