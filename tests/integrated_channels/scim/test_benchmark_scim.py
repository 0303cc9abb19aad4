"""The directory_import --source scim benchmark on a tiny size: its HTTP creates and its per-row baseline agree."""

import pytest
from django.core.wsgi import get_wsgi_application

from benchmarks import _scim_creates as bench
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes
from integrated_channels.scim.models import ScimUser
from integrated_channels.scim.services.tokens import create_token
from tests.factories import CustomerFactory

ROWS = 12


def split(customer, prefix):
    linked = sorted(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", flat=True)
    )
    pending = sorted(
        PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    )
    return [email.lower().replace(prefix, "x") for email in linked], [email.replace(prefix, "x") for email in pending]


@pytest.mark.django_db(transaction=True)
def test_the_http_creates_and_the_baseline_link_the_same_people(settings):
    settings.ALLOWED_HOSTS = ["*"]
    bench._build_users("scim", ROWS)
    bench._build_users("base", ROWS)
    customer, baseline_customer = CustomerFactory(), CustomerFactory()
    server, counted = bench._serve(get_wsgi_application())
    try:
        latencies, failures = bench._http_creates(server.server_port, create_token(customer=customer).secret, ROWS)
    finally:
        server.shutdown()
        server.thread.join(timeout=10)
        server.server_close()
    assert (len(latencies), failures) == (ROWS, 0)
    assert len(counted["cpu"]) == ROWS and counted["queries"] >= 8 * ROWS
    assert ScimUser.objects.filter(customer=customer).count() == ROWS
    bench._per_row_baseline(baseline_customer, ROWS)
    linked, pending = split(customer, "scim.")
    assert (len(linked), len(pending)) == (ROWS // 2, ROWS // 2)
    assert (linked, pending) == split(baseline_customer, "base.")
    managed = PendingLearnerAttributes.objects.get(customer=customer, email="scim.0000009@example.com")
    assert managed.attributes["manager"] == "scim.0000000@example.com"  # a bare manager id, as Entra sends it
