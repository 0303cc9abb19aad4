"""Test connection of LearningStudio: load the service description (WSDL), then one authenticated call —
a ``ProcessRequest`` whose IMS document holds no person, which changes nothing and answers a job id."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.learningstudio.client import BATCH, BINDING, LearningStudioClient


def test_connection(configuration) -> ConnectionTest:
    with LearningStudioClient(configuration) as client:
        try:
            operations = sorted(client.zeep.wsdl.bindings[BINDING]._operations)
        except (ChannelConfigurationError, KeyError) as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc}")
        try:
            job = client.job_id(client.send(BATCH, []))
        except TransmissionError as exc:
            return ConnectionTest(
                ok=False, message=f"Failed: {exc.message}", found=operations, found_label="operations"
            )
    return ConnectionTest(
        ok=True,
        message=(
            f"LearningStudio at {configuration.endpoint_url} authenticated {configuration.sis_username} "
            f"(an empty batch was accepted as job {job})."
        ),
        found=operations,
        found_label="operations",
    )


test_connection.__test__ = False
