"""Django admin of the channel framework: runs (with error reports) and the transmission audit.

Each channel registers its configuration admin in its own package, subclassing
``ChannelConfigurationAdmin`` (``admin/configuration.py``).
"""

from integrated_channels.integrated_channel.admin import audit, periodic_tasks, portal_connectors, runs  # noqa: F401
from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationAdmin

__all__ = ["ChannelConfigurationAdmin"]
