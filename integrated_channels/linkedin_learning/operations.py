"""LinkedIn Learning's operations: import courses (asset API, filtered) and import progress (activity reports)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.services import content_runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

COURSE_IMPORT = "course_import"
PROGRESS_IMPORT = "progress_import"


def _client(configuration):
    from integrated_channels.linkedin_learning.client import LinkedInLearningClient

    return LinkedInLearningClient(configuration)


def import_courses(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.linkedin_learning import mapping

    def batches():
        with _client(configuration) as client:
            libraries = configuration.library_list()
            urns = list(client.library_urns(libraries).values()) if libraries else []
            for number, page in enumerate(
                client.assets(languages=configuration.language_list(), library_urns=urns), start=1
            ):
                yield mapping.course_batch(number, page, remote_calls=client.calls)
                client.calls = 0

    return content_runs.execute(
        configuration,
        kind=COURSE_IMPORT,
        what=content_runs.COURSES,
        provider=mapping.PROVIDER,
        batches=batches(),
        trigger=trigger,
        api_user=api_user,
        run=run,
        start_date=start_date,  # given: every page is read, none skipped as unchanged
    )


def import_progress(configuration, *, trigger, start_date=None, api_user=None, run=None):
    """The activity from ``start_date`` (or the connection's ``progress_days`` back) until now."""
    from integrated_channels.linkedin_learning import mapping

    now = timezone.now()
    since = start_date or now - datetime.timedelta(days=configuration.progress_days)
    days = (now - since).days + 1

    def batches():
        with _client(configuration) as client:
            for number, page in enumerate(client.activity(since=since, days=days), start=1):
                yield mapping.progress_batch(number, page, remote_calls=client.calls)
                client.calls = 0

    return content_runs.execute(
        configuration,
        kind=PROGRESS_IMPORT,
        what=content_runs.PROGRESS,
        provider=mapping.PROVIDER,
        batches=batches(),
        trigger=trigger,
        api_user=api_user,
        run=run,
        start_date=start_date,
    )


def test_connection(configuration) -> ConnectionTest:
    """Get a token and read the libraries: the credentials work and the library filter names real ones."""
    try:
        with _client(configuration) as client:
            found = client.libraries()
            client.library_urns(configuration.library_list())  # the filter names real libraries
    except ChannelError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    return ConnectionTest(
        ok=True, message="Connected to LinkedIn Learning.", found=sorted(found), found_label="libraries"
    )


test_connection.__test__ = False  # not a pytest test
