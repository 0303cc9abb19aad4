"""The bulk_link benchmark's two measured paths link the same file the same way."""

import pytest

from benchmarks import bulk_link as bench
from enterprise.models import EnterpriseCustomerUser
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_streamed_path_and_the_manage_learners_path_agree(tmp_path):
    path = str(tmp_path / "learners.csv")
    bench.write_csv(path, 30)
    users = bench.build_users(30)
    customer = CustomerFactory()
    streamed = bench.stream_link(customer=customer, path=path, chunk_size=7)
    assert streamed == {"skipped": 1, "linked": users, "pending": 30 - users}
    bench.reset(customer)
    with open(path, "rb") as file:
        result = link_learners_from_csv(customer=customer, file=file)
    assert result.counts == {"linked": users, "pending": 30 - users, "header": 1}


def test_the_preview_and_confirm_path_links_the_file_once(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = str(tmp_path / "learners.csv")
    bench.write_csv(path, 30)
    users = bench.build_users(30)
    customer = CustomerFactory()
    counts, _preview_seconds, _confirm_seconds = bench.preview_and_confirm(customer=customer, path=path)
    assert counts == {"linked": users, "pending": 30 - users, "header": 1}
    assert EnterpriseCustomerUser.objects.filter(customer=customer).count() == users
    bench.reset(customer)
    assert not EnterpriseCustomerUser.objects.filter(customer=customer).exists()
