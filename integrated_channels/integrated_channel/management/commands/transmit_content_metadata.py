"""``manage.py transmit_content_metadata --api_user USER [--enterprise-customer UUID|SLUG] [--channel CODE]
[--dry-run]``."""

from integrated_channels.integrated_channel.management.transmit import TransmitCommand
from integrated_channels.integrated_channel.registry import CONTENT_METADATA


class Command(TransmitCommand):
    help = (
        "Send the new or changed metadata of the courses enterprise learners are enrolled in to their "
        "customers' active channels that export courses. Exit status: 0 all runs completed, 1 a run "
        "failed, 2 usage error, 3 some records failed."
    )
    kind = CONTENT_METADATA
