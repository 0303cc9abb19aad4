"""getAbstract's operation: import usage (the feeds), with the metadata of the summaries they name."""

from __future__ import annotations

from enterprise.lms.content.models import ProviderCourse
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.services import content_runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.integrated_channel.transports import drop

USAGE_IMPORT = "usage_import"


def import_usage(configuration, *, trigger, start_date=None, api_user=None, run=None):
    """The feeds exported on or after ``start_date`` (all without one), oldest first; for each, the summaries
    not in the catalog yet are asked from the API and created, then the usage is recorded as completions."""
    from integrated_channels.getabstract import feeds
    from integrated_channels.getabstract.client import GetAbstractClient

    def batches():
        files = drop.read_matching_files(configuration, configuration.remote_directory(), pattern=feeds.FEED.pattern)
        dated = sorted((feeds.feed_moment(path), path) for path in files if feeds.feed_moment(path) is not None)
        with GetAbstractClient(configuration) as client:

            def summaries(ids: set[str], batch: content_runs.Batch) -> list:
                """The course records of the summaries of ``ids`` not in the catalog yet, from the API."""
                known = set(
                    ProviderCourse.objects.filter(provider=feeds.PROVIDER, provider_id__in=ids).values_list(
                        "provider_id", flat=True
                    )
                )
                found = []
                if ids - known:
                    found = [
                        feeds.course_of(item, source=f"{batch.name}: summary {item.get('id')}")
                        for item in client.summaries(ids - known)
                    ]
                batch.remote_calls += client.calls
                client.calls = 0
                return found

            for moment, path in dated:
                if start_date is not None and moment.date() < start_date.date():
                    continue
                yield feeds.usage_batch(path, files[path], sheet=configuration.sheet, summaries=summaries)

    return content_runs.execute(
        configuration,
        kind=USAGE_IMPORT,
        what=content_runs.BOTH,
        provider="getabstract",
        batches=batches(),
        trigger=trigger,
        api_user=api_user,
        run=run,
        start_date=start_date,
    )


def test_connection(configuration) -> ConnectionTest:
    """A token from the API, and a look at the feeds on the file drop."""
    from integrated_channels.getabstract.client import GetAbstractClient

    try:
        with GetAbstractClient(configuration) as client:
            client.token()
    except ChannelError as exc:
        return ConnectionTest(ok=False, message=f"Failed: the API refused: {exc}")
    directory = configuration.remote_directory()
    try:
        peek = drop.peek_directory(configuration, directory)
    except drop.DropError as exc:
        return ConnectionTest(ok=False, message=f"Failed: the API answered, the file drop did not: {exc}")
    if not peek.exists:
        return ConnectionTest(ok=False, message=f"The API answered; the folder {directory} does not exist.")
    return ConnectionTest(ok=True, message=f"Connected to the API and to the file drop ({directory}).")


test_connection.__test__ = False  # not a pytest test
