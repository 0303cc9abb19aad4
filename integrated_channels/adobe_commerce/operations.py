"""Export training metadata: priced courses and programs as Commerce products, in async bulk operations.

One bulk operation per ``BATCH`` products; each is followed (``bulk_status``) until no item is open,
at most ``MAX_POLLS`` times. Items the store refuses (status 2, 3 or 5) and prices the store cannot
take (another currency, a SKU longer than Commerce's 64 characters) are per-item failures in the
run's error report; the others count as sent.
"""

from __future__ import annotations

from decimal import Decimal

from enterprise.lms.local import models as lms
from enterprise.services.prices import all_prices_for
from integrated_channels.adobe_commerce.client import COMPLETE, OPEN, CommerceClient
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

EXPORT = "commerce_product_export"
BATCH = 500
MAX_POLLS = 60
POLL_SECONDS = 5.0
SKU_LENGTH = 64


def products_of(configuration) -> tuple[list[tuple[str, dict]], list[tuple[str, str, str]]]:
    """(sku, product) of each priced course/program, and (sku, code, message) of those that cannot go."""
    customer_id = configuration.customer_id
    course_prices = all_prices_for(customer_id, "course")
    program_prices = all_prices_for(customer_id, "program")
    items: list[tuple[str, str, str, Decimal, str]] = []
    for course_id, title, description in lms.Course.objects.filter(course_id__in=list(course_prices)).values_list(
        "course_id", "title", "description"
    ):
        quote = course_prices[course_id]
        items.append((course_id, title, description, quote.amount, quote.currency))
    for program_id, title in lms.Program.objects.filter(program_id__in=list(program_prices)).values_list(
        "program_id", "title"
    ):
        quote = program_prices[str(program_id)]
        items.append((str(program_id), title, "", quote.amount, quote.currency))
    products, refused = [], []
    for sku, title, description, amount, currency in sorted(items):
        if currency != configuration.currency:
            refused.append(
                (sku, "currency", f"Priced in {currency}; the store's currency is {configuration.currency}.")
            )
            continue
        if len(sku) > SKU_LENGTH:
            refused.append((sku, "sku_too_long", f"A Commerce SKU has at most {SKU_LENGTH} characters."))
            continue
        product = {
            "sku": sku,
            "name": title,
            "price": float(amount),
            "type_id": "virtual",
            "attribute_set_id": configuration.attribute_set_id,
            "status": 1,
            "visibility": 4,
            "custom_attributes": [{"attribute_code": "description", "value": description}],
        }
        if configuration.category_id:
            product["extension_attributes"] = {
                "category_links": [{"position": 0, "category_id": str(configuration.category_id)}]
            }
        products.append((sku, product))
    return products, refused


def export_products(configuration, *, trigger, start_date=None, api_user=None, run=None, client=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=EXPORT, trigger=trigger, api_user=api_user)
    products, refused = products_of(configuration)
    errors = [
        RunError(run=run, outcome=RunError.Outcome.FAILED, course_id=sku, remote_id=sku, code=code, message=message)
        for sku, code, message in refused
    ]
    sent = 0
    client = client or CommerceClient(configuration)
    try:
        for start in range(0, len(products), BATCH):
            batch = products[start : start + BATCH]
            bulk_uuid = client.bulk_save_products([product for _sku, product in batch])
            items = _follow(client, bulk_uuid)
            by_index = {item.index: item for item in items}
            for index, (sku, _product) in enumerate(batch):
                item = by_index.get(index)
                if item is not None and item.status == COMPLETE:
                    sent += 1
                    continue
                message = (
                    item.message or f"bulk status {item.status}" if item else "Commerce reported nothing for this item."
                )
                if item is not None and item.status == OPEN:
                    message = f"Still open after {MAX_POLLS} status checks (bulk {bulk_uuid})."
                errors.append(
                    RunError(
                        run=run,
                        outcome=RunError.Outcome.FAILED,
                        course_id=sku,
                        remote_id=bulk_uuid,
                        code=f"bulk_status_{item.status if item else 'missing'}",
                        message=message,
                        transient=item is not None and item.status in (2, OPEN),
                    )
                )
    except TransmissionError as exc:
        RunError.objects.bulk_create(errors)
        done = sent + len(errors)
        selected = len(products) + len(refused)
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=type(exc).__name__,
            error_message=str(exc),
            selected=selected,
            sent=sent,
            failed=len(errors),
            not_attempted=selected - done,
        )
        return run
    RunError.objects.bulk_create(errors)
    status = Run.Status.COMPLETED_WITH_ERRORS if errors else Run.Status.COMPLETED
    runs.finish_run(run, status=status, selected=len(products) + len(refused), sent=sent, failed=len(errors))
    return run


def _follow(client, bulk_uuid: str):
    items = client.bulk_status(bulk_uuid)
    for _poll in range(MAX_POLLS):
        if not any(item.status == OPEN for item in items):
            return items
        client.wait(POLL_SECONDS)
        items = client.bulk_status(bulk_uuid)
    return items


def test_connection(configuration) -> ConnectionTest:
    try:
        stores = CommerceClient(configuration).store_config()
    except TransmissionError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    currencies = sorted({str(store.get("base_currency_code")) for store in stores if isinstance(store, dict)})
    if configuration.currency not in currencies:
        return ConnectionTest(
            ok=False,
            message=f"Connected, but the store's currencies are {', '.join(currencies)}, not {configuration.currency}.",
        )
    return ConnectionTest(ok=True, message="Connected.", found=currencies, found_label="currencies")


test_connection.__test__ = False
