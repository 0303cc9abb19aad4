"""Transmit operations are optional: a client supports the ones it defines; the system check holds channels to it."""

import pytest

from integrated_channels.classroom.models import ZoomConnection
from integrated_channels.classroom.zoom import ZoomClient
from integrated_channels.integrated_channel.checks import check_registered_channels
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, OperationNotSupported
from integrated_channels.integrated_channel.registry import (
    CONTENT_METADATA,
    LEARNER_DATA,
    SUBSECTION_GRADES,
    Channel,
    registry,
)
from integrated_channels.integrated_channel.transports.base import ChannelClient, succeeded
from integrated_channels.testing.client import TestChannelClient


class LearnersOnly(ChannelClient):
    name = "Learners only"

    def send_learner_data(self, records):
        return succeeded(records, status_code=200, summary="ok")


def test_a_client_supports_the_operations_it_defines():
    assert LearnersOnly.supported_operations() == {LEARNER_DATA}
    assert LearnersOnly.supports(LEARNER_DATA) and not LearnersOnly.supports(CONTENT_METADATA)
    assert not LearnersOnly.supports("import_users")  # not a transmit operation
    client = LearnersOnly(configuration=None)
    assert client.send_learner_data([]) == []
    with pytest.raises(OperationNotSupported, match="Learners only exports no content metadata"):
        client.send_content_metadata([])
    with pytest.raises(OperationNotSupported, match="reports no assessment grades"):
        client.send_subsection_grades([])


def test_zoom_needs_no_learner_data_method_and_refuses_with_a_clear_error():
    assert "send_learner_data" not in vars(ZoomClient)
    assert ZoomClient.supported_operations() == frozenset()
    client = ZoomClient(ZoomConnection(api_url="https://api.zoom.us/v2", token_url="https://zoom.us/oauth/token"))
    with pytest.raises(OperationNotSupported, match="Zoom sends no learner data") as refused:
        client.send_learner_data([])
    assert isinstance(refused.value, ChannelConfigurationError) and refused.value.code == "operation_not_supported"


def test_adobe_connect_hosts_sessions_and_sends_no_learner_data():
    from integrated_channels.classroom.adobe_connect import AdobeConnectClient

    assert "send_learner_data" not in vars(AdobeConnectClient)
    assert AdobeConnectClient.supported_operations() == frozenset()


@pytest.mark.parametrize("channel", [c for c in registry.all() if c.client], ids=lambda channel: channel.code)
def test_every_registered_client_supports_what_its_exporters_imply(channel):
    client = channel.get_client_class()
    implied = {
        LEARNER_DATA: channel.learner_exporter,
        CONTENT_METADATA: channel.content_exporter,
        SUBSECTION_GRADES: channel.subsection_exporter,
    }
    assert {operation for operation, exporter in implied.items() if exporter} <= client.supported_operations()


def test_system_check_reports_an_exporter_whose_client_cannot_send_it():
    assert TestChannelClient.supports(LEARNER_DATA)
    registry.register(
        Channel(
            code="MEETINGS",
            name="Meetings",
            app_label="classroom",
            configuration_model="classroom.ZoomConnection",
            client="integrated_channels.classroom.zoom.ZoomClient",
            learner_exporter="integrated_channels.testing.exporters.TestLearnerDataExporter",
        )
    )
    try:
        errors = check_registered_channels(None)
    finally:
        registry.unregister("MEETINGS")
    assert [error.id for error in errors if "MEETINGS" in error.msg] == [
        "integrated_channels.E001",  # ZoomConnection's CHANNEL_CODE is ZOOM
        "integrated_channels.E004",
    ]
    assert "define ZoomClient.send_learner_data" in errors[-1].msg
    assert check_registered_channels(None) == []
