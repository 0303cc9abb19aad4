"""The connector_import benchmark on a tiny size: the pipeline, its expected counts and the per-row baseline agree."""

import pytest

from benchmarks import connector_import
from benchmarks.bulk_link import build_users
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes
from integrated_channels.sftp.models import SFTPConfiguration
from tests.fakes.paged_json import PagedJsonServer

pytestmark = pytest.mark.django_db

ROWS = 120


def connection_of(name):
    customer = EnterpriseCustomer.objects.create(name=name, slug=name.lower())
    return SFTPConfiguration.objects.create(customer=customer, host="127.0.0.1", username="b", password="-")


def state(customer):
    learners = dict(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", "attributes")
    )
    pending = set(PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True))
    attributes = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return learners, pending, attributes


def test_the_pipeline_and_the_per_row_baseline_agree_on_the_benchmark_data():
    build_users(ROWS)
    measured = connection_of("Measured")
    with PagedJsonServer(connector_import.person, ROWS, page_size=25) as server:
        counts, pages = connector_import.run_pipeline(measured, server.url, 25)
        imported_state = state(measured.customer)
        connector_import.reset(measured.customer)
        assert state(measured.customer) == ({}, set(), {})
        done = connector_import.per_row_baseline(measured.customer, server.url)

    imported, inactive, outside = connector_import.expected(ROWS)
    assert (counts.imported, counts.filtered_out, counts.not_under_managers, counts.failed) == (
        imported,
        inactive,
        outside,
        0,
    )
    assert pages == 5 and done["linked"] + done["pending"] == imported, done
    assert state(measured.customer) == imported_state
    assert imported_state[0] and imported_state[1]  # linked learners with attributes, pending ones
