"""Export training metadata: priced courses and programs as Commerce products, in async bulk operations.

One bulk operation per ``BATCH`` products; each is followed (``bulk_status``) until no item is open,
at most ``MAX_POLLS`` times. Items the store refuses (status 2, 3 or 5) and prices the store cannot
take (another currency, a SKU longer than Commerce's 64 characters) are per-item failures in the
run's error report; the others count as sent.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from enterprise.lms.local import models as lms
from enterprise.lms.local.images import MAX_BYTES, sniff
from enterprise.services.prices import all_prices_for
from integrated_channels.adobe_commerce.client import COMPLETE, OPEN, CommerceClient
from integrated_channels.adobe_commerce.models import ExportedProduct
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

EXPORT = "commerce_product_export"
BATCH = 500
BATCH_BYTES = 16 * 1024 * 1024  # a bulk request's body stays below the store's usual limits
MAX_POLLS = 60
POLL_SECONDS = 5.0
SKU_LENGTH = 64


def url_key_of(sku: str) -> str:
    """The product's URL key: the SKU in lower-case letters, digits and dashes, with a short hash of the
    SKU so two SKUs that read alike (``A+B`` and ``a-b``) never share a page."""
    readable = "-".join(re.findall(r"[a-z0-9]+", sku.lower()))[:80].strip("-") or "training"
    return f"{readable}-{hashlib.sha256(sku.encode()).hexdigest()[:8]}"


@dataclass
class Item:
    sku: str
    product: dict
    image_sha256: str = ""  # of the image sent (or kept), to skip it next time
    size: int = 0  # bytes the product adds to its batch's body


def _image_entry(course_image, title: str, already: str) -> tuple[dict | None, str]:
    """(a media gallery entry, the image's SHA-256); no entry when the store has this image already."""
    with course_image.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    kind = sniff(data[:16])
    if kind is None or len(data) > MAX_BYTES:
        return None, ""  # not an image the course may carry (validated on upload): not sent
    digest = hashlib.sha256(data).hexdigest()
    if digest == already:
        return None, digest
    mime, extension = kind
    entry = {
        "media_type": "image",
        "label": title[:255],
        "position": 1,
        "disabled": False,
        "types": ["image", "small_image", "thumbnail"],
        "content": {
            "base64_encoded_data": base64.b64encode(data).decode("ascii"),
            "type": mime,
            "name": f"{digest[:16]}.{extension}",
        },
    }
    return entry, digest


def products_of(configuration) -> tuple[list[Item], list[tuple[str, str, str]]]:
    """The product of each priced course/program, and (sku, code, message) of those that cannot go.

    A course's image goes as a media gallery entry (base64, its type read from its bytes) when the store
    does not have it yet (``ExportedProduct.image_sha256``); each product has a URL key (the Buy-now link).
    """
    customer_id = configuration.customer_id
    course_prices = all_prices_for(customer_id, "course")
    program_prices = all_prices_for(customer_id, "program")
    items: list[tuple[str, str, str, Decimal, str, object]] = []
    for course in lms.Course.objects.filter(course_id__in=list(course_prices)).only(
        "course_id", "title", "description", "image"
    ):
        quote = course_prices[course.course_id]
        items.append((course.course_id, course.title, course.description, quote.amount, quote.currency, course.image))
    for program_id, title in lms.Program.objects.filter(program_id__in=list(program_prices)).values_list(
        "program_id", "title"
    ):
        quote = program_prices[str(program_id)]
        items.append((str(program_id), title, "", quote.amount, quote.currency, None))
    sent_images = dict(ExportedProduct.objects.filter(configuration=configuration).values_list("sku", "image_sha256"))
    products, refused = [], []
    for sku, title, description, amount, currency, image in sorted(items, key=lambda item: item[0]):
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
            "custom_attributes": [
                {"attribute_code": "description", "value": description},
                {"attribute_code": "url_key", "value": url_key_of(sku)},
            ],
        }
        if configuration.category_id:
            product["extension_attributes"] = {
                "category_links": [{"position": 0, "category_id": str(configuration.category_id)}]
            }
        item = Item(sku, product, size=len(sku) + len(title) + len(description) + 400)
        if image:
            entry, item.image_sha256 = _image_entry(image, title, sent_images.get(sku, ""))
            if entry is not None:
                product["media_gallery_entries"] = [entry]
                item.size += len(entry["content"]["base64_encoded_data"])
        products.append(item)
    return products, refused


def batches(products: list[Item]):
    """Batches of at most ``BATCH`` products and ``BATCH_BYTES`` of body (images make products large)."""
    batch, size = [], 0
    for item in products:
        if batch and (len(batch) == BATCH or size + item.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch


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
        for batch in batches(products):
            bulk_uuid = client.bulk_save_products([entry.product for entry in batch])
            items = _follow(client, bulk_uuid)
            by_index = {item.index: item for item in items}
            saved = []
            for index, entry in enumerate(batch):
                sku = entry.sku
                item = by_index.get(index)
                if item is not None and item.status == COMPLETE:
                    sent += 1
                    saved.append(entry)
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
            _record_saved(configuration, saved)
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


def _record_saved(configuration, saved: list[Item]) -> None:
    """The products the store saved: their URL key (the Buy-now link) and image, one upsert per batch."""
    now = timezone.now()
    ExportedProduct.objects.bulk_create(
        [
            ExportedProduct(
                configuration=configuration,
                sku=item.sku,
                url_key=url_key_of(item.sku),
                image_sha256=item.image_sha256,
                exported_at=now,
            )
            for item in saved
        ],
        update_conflicts=True,
        unique_fields=["configuration", "sku"],
        update_fields=["url_key", "image_sha256", "exported_at"],
    )


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
