"""The directory_import benchmark's sources on a tiny size: each imports everyone in the minimum of page calls."""

import math

import pytest

from benchmarks import directory_import
from enterprise.models import EnterpriseCustomer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", sorted(directory_import.SOURCES))
def test_each_source_imports_everyone_in_the_minimum_of_page_calls(name):
    source = directory_import.SOURCES[name]
    rows = source.page_size + 3
    directory_import.build_users(rows)
    customer = EnterpriseCustomer.objects.create(name=f"Bench {name}", slug=f"bench-{name}")
    with source.serve(rows) as fake:
        configuration = source.connect(customer, fake)
        run = source.run(configuration)
        run.refresh_from_db()
        assert (run.status, run.sent, run.failed) == ("completed", rows, 0), run.error_message
        assert source.page_calls(fake) == math.ceil(rows / source.page_size)
        if source.delta:
            pages = source.page_calls(fake)
            quiet = source.run(configuration)
            quiet.refresh_from_db()
            assert (quiet.status, quiet.remote_calls) == ("completed", 1)
            assert source.page_calls(fake) == pages
