"""``manage.py transmit_subsection_learner_data --api_user USER [--enterprise-customer UUID] [--channel CODE]``."""

from integrated_channels.integrated_channel.management.transmit import TransmitCommand
from integrated_channels.integrated_channel.registry import SUBSECTION_GRADES


class Command(TransmitCommand):
    help = (
        "Send the new or changed grades of graded subsections (assessment-level data) of enterprise learners "
        "to their customers' active channels that report them (Canvas, Blackboard; one run per configuration). "
        "Exit status: 0 all runs completed, 1 a run failed, 2 usage error, 3 some records failed."
    )
    kind = SUBSECTION_GRADES
