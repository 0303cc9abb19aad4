"""The xAPI import writes its run's counts after each chunk of rows (decision 0140)."""

import pytest

from integrated_channels.integrated_channel.models import Run
from integrated_channels.xapi import verbs
from integrated_channels.xapi.services import statement_import
from tests.factories import CourseFactory, LearnerFactory
from tests.integrated_channels.sftp.test_live_counts import Observer, running_counts
from tests.integrated_channels.xapi.factories import import_from

pytestmark = pytest.mark.django_db(transaction=True)  # on PostgreSQL the counts are read as committed


def test_the_import_writes_its_counts_after_each_chunk(sftp_server, monkeypatch):
    monkeypatch.setattr(statement_import, "CHUNK_SIZE", 2)
    config = import_from(sftp_server)
    LearnerFactory(customer=config.customer, user__email="alice@example.com")
    LearnerFactory(customer=config.customer, user__email="bob@example.com")
    course = CourseFactory().course_id
    seen = f"{verbs.ADL}experienced"
    sftp_server.write(
        "import/xapi.csv",
        "Learner,Verb,Activity\n"
        f"alice@example.com,{seen},{course}\n"
        f"alice@example.com,not an iri,{course}\n"
        f"bob@example.com,{seen},{course}\n"
        f"alice@example.com,{verbs.COMPLETED},{course}\n"
        f"bob@example.com,{verbs.COMPLETED},{course}\n",
    )
    observer = Observer(running_counts)

    result = statement_import.import_statements(configuration=config, progress=observer)

    assert observer.total == 5
    assert observer.seen == [
        ("running", 5, 0, 1, 0),  # row 1: skipped (verb not recognised)
        ("running", 5, 0, 2, 1),  # rows 1-3: two skipped, one refused
        ("running", 5, 2, 2, 1),  # the completions recorded
    ]
    run = Run.objects.get(pk=result.run.pk)
    assert (run.status, run.selected, run.sent, run.skipped, run.failed) == ("completed_with_errors", 5, 2, 2, 1)
