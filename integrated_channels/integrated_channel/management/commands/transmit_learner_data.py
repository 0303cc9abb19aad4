"""``manage.py transmit_learner_data --api_user USER [--enterprise-customer UUID|SLUG] [--channel CODE]
[--dry-run]``."""

from integrated_channels.integrated_channel.management.transmit import TransmitCommand
from integrated_channels.integrated_channel.registry import LEARNER_DATA


class Command(TransmitCommand):
    help = (
        "Send the new or changed course completions of enterprise learners to their customers' active "
        "channels (one run per configuration). Exit status: 0 all runs completed, 1 a run failed, "
        "2 usage error, 3 some records failed."
    )
    kind = LEARNER_DATA
    accepts_start_date = True
