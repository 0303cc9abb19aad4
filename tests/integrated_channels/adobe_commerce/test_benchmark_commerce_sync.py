"""The commerce_sync benchmark: its fake store (a process of its own) serves the orders ``build`` describes,
and the import reads them over HTTP through the real client and enrolls every line."""

import pytest

from benchmarks import commerce_sync as bench
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.purchases import import_purchases
from integrated_channels.integrated_channel.models import Run

pytestmark = pytest.mark.django_db


def test_the_store_process_serves_the_built_orders_and_every_line_is_enrolled_with_its_purchase():
    store = bench.StoreProcess(orders=40, courses=4, per_learner=2)
    try:
        connection, orders = bench.build(orders=40, courses=4, per_learner=2, base_url=store.url)
        client = bench.CountedPages(CommerceClient(connection))
        run = import_purchases(connection, trigger=Run.Trigger.COMMAND, client=client)
        assert (run.status, run.sent, client.pages) == (Run.Status.COMPLETED, 40, 1)
        assert store.cpu_seconds() is None or store.cpu_seconds() >= 0
    finally:
        store.stop()
    assert store.process.returncode == 0
    stamped = EnterpriseCourseEnrollment.objects.filter(purchased_at__isnull=False).count()
    assert stamped + PendingEnrollment.objects.filter(purchased_at__isnull=False).count() == len(orders) == 40
    bench.reset(connection)
    assert not EnterpriseCourseEnrollment.objects.exists() and not PendingEnrollment.objects.exists()
    memory = bench.PagedOrders(orders)
    assert import_purchases(connection, trigger=Run.Trigger.COMMAND, client=memory).sent == 40
