"""Models of the channel framework, one module per concept."""

from integrated_channels.integrated_channel.models.audit import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    SubsectionGradeTransmissionAudit,
    TransmissionStatus,
)
from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration
from integrated_channels.integrated_channel.models.content_connection import ContentConnection
from integrated_channels.integrated_channel.models.imported_person import ImportedPerson
from integrated_channels.integrated_channel.models.pending_attributes import PendingLearnerAttributes
from integrated_channels.integrated_channel.models.portal_connector import PortalConnector
from integrated_channels.integrated_channel.models.remote_course import RemoteCourse
from integrated_channels.integrated_channel.models.run import Run, RunError
from integrated_channels.integrated_channel.models.schedule import OperationSchedule
from integrated_channels.integrated_channel.models.sftp_connection import SFTPConnection

__all__ = [
    "ChannelConfiguration",
    "ContentConnection",
    "ContentTransmissionAudit",
    "ImportedPerson",
    "LearnerDataTransmissionAudit",
    "OperationSchedule",
    "PendingLearnerAttributes",
    "PortalConnector",
    "RemoteCourse",
    "Run",
    "RunError",
    "SFTPConnection",
    "SubsectionGradeTransmissionAudit",
    "TransmissionStatus",
]
