"""Test connection of Cornerstone: Cornerstone calls this platform, so nothing remote is asked; say what it can use."""

from __future__ import annotations

from integrated_channels.cornerstone.models import CornerstoneLearnerSession
from integrated_channels.integrated_channel.models import ContentTransmissionAudit, TransmissionStatus
from integrated_channels.integrated_channel.services.connections import ConnectionTest


def test_connection(configuration) -> ConnectionTest:
    published = ContentTransmissionAudit.objects.filter(
        configuration_id=configuration.pk, status=TransmissionStatus.SENT
    ).count()
    sessions = CornerstoneLearnerSession.objects.filter(configuration_id=configuration.pk).count()
    if not configuration.catalog_password:
        return ConnectionTest(ok=False, message="Set the course list password Cornerstone will send.")
    return ConnectionTest(
        ok=True,
        message=(
            f"The course list offers {published} course(s) (run Content metadata to publish changes); "
            f"{sessions} learner session(s) from Cornerstone are kept for completions."
        ),
    )


test_connection.__test__ = False
