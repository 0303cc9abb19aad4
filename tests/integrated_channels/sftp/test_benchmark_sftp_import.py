"""The sftp_import benchmark on a tiny size: its per-row baseline does the same job as the connector's import."""

import pytest

from benchmarks import sftp_import
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes
from tests.fakes.sftp import FakeSFTPServer

pytestmark = pytest.mark.django_db

ROWS = 40


def state(customer):
    learners = dict(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", "attributes")
    )
    pending = set(PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True))
    attributes = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return learners, pending, attributes


def test_the_import_and_the_per_row_baseline_agree_on_the_benchmark_data(tmp_path):
    with FakeSFTPServer(tmp_path / "root") as server:
        assert sftp_import.build_users(ROWS) == ROWS // 2
        config = sftp_import.make_connection(server)
        assert len(sftp_import.write_files(server, ROWS, 4)) == 4

        result = sftp_import.run_import(config)
        assert (result.run.status, result.imported, result.errors, result.deleted) == ("completed", ROWS, [], True)
        imported = state(config.customer)
        sftp_import.reset(config.customer)
        assert state(config.customer) == ({}, set(), {})

        sftp_import.write_files(server, ROWS, 4)
        counts = sftp_import.per_row_baseline(configuration=config, limit=ROWS)

        assert (counts["linked"], counts["pending"], counts["failed"]) == (ROWS // 2, ROWS // 2, 0)
        assert state(config.customer) == imported
        learners, pending, attributes = imported
        assert len(learners) == len(pending) == len(attributes) == ROWS // 2
        assert attributes[sftp_import.email(11)] == {
            "first_name": "First11",
            "last_name": "Last11",
            "manager": sftp_import.email(1),
            "department": "Engineering",
        }
        assert not list(server.path(sftp_import.IMPORT_DIR).iterdir())  # both removed the processed files
