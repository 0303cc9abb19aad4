"""Selection of the xAPI LRS channel, without an LRS."""

from __future__ import annotations

import pytest

from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.xapi.exporters import XAPILearnerDataExporter
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.xapi.factories import XAPIConfigurationFactory

pytestmark = pytest.mark.django_db


def test_learners_without_an_email_are_skipped_with_a_reason_not_sent():
    config = XAPIConfigurationFactory()
    kept = completed_enrollment(config.customer)
    for email in ("", "   "):
        no_email = completed_enrollment(config.customer)
        no_email.learner.user.email = email
        no_email.learner.user.save(update_fields=["email"])

    selection = XAPILearnerDataExporter(configuration=config).select()

    assert selection.considered == 3
    assert [record.enrollment_id for record in selection.records] == [kept.pk]
    assert selection.skipped == {"no_email": 2}


def test_a_run_counts_them_skipped_and_sends_nothing():
    config = XAPIConfigurationFactory()  # its endpoint (port 9) answers nothing: a sent record would fail
    enrollment = completed_enrollment(config.customer)
    enrollment.learner.user.email = ""
    enrollment.learner.user.save(update_fields=["email"])

    result = transmit_learner_data(configuration=config)

    assert (result.status, result.sent, result.failed) == ("completed", 0, 0)
    assert result.skip_reasons == {"no_email": 1}
    run = Run.objects.get(pk=result.run_id)
    assert (run.selected, run.skipped, run.failed) == (1, 1, 0)
    assert not LearnerDataTransmissionAudit.objects.exists()
