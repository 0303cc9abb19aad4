"""Harvard ManageMentor's operations: import courses (hmm12_metadata.csv), import progress (user feeds)."""

from __future__ import annotations

import posixpath

from django.utils import timezone

from integrated_channels.integrated_channel.services import content_runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.integrated_channel.transports import drop

COURSE_IMPORT = "course_import"
PROGRESS_IMPORT = "progress_import"


def import_courses(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.harvard_managementor import feeds

    def batches():
        path = posixpath.join(configuration.remote_directory(), feeds.METADATA_FILE)
        files = drop.read_matching_files(
            configuration, configuration.remote_directory(), pattern=feeds.METADATA_FILE.replace(".", r"\.")
        )
        if path not in files:
            yield content_runs.Batch(name=feeds.METADATA_FILE, error=f"No {path} on the server: no course to import.")
            return
        yield feeds.courses_batch(path, files[path])

    return content_runs.execute(
        configuration,
        kind=COURSE_IMPORT,
        what=content_runs.COURSES,
        provider=feeds.PROVIDER,
        batches=batches(),
        trigger=trigger,
        api_user=api_user,
        run=run,
        retire_missing=True,  # the metadata file is the whole offer
    )


def import_progress(configuration, *, trigger, start_date=None, api_user=None, run=None):
    """The user feeds dated on or after ``start_date`` (all of them without one), oldest first."""
    from integrated_channels.harvard_managementor import feeds

    def batches():
        files = drop.read_matching_files(
            configuration, configuration.remote_directory(), pattern=feeds.USER_FEED.pattern
        )
        since = timezone.localdate(start_date) if start_date else None
        dated = sorted((feeds.feed_date(path), path) for path in files if feeds.feed_date(path) is not None)
        for day, path in dated:
            if since is None or day >= since:
                yield feeds.progress_batch(path, files[path])

    return content_runs.execute(
        configuration,
        kind=PROGRESS_IMPORT,
        what=content_runs.PROGRESS,
        provider=feeds.PROVIDER,
        batches=batches(),
        trigger=trigger,
        api_user=api_user,
        run=run,
        start_date=start_date,
    )


def test_connection(configuration) -> ConnectionTest:
    from integrated_channels.harvard_managementor import feeds

    directory = configuration.remote_directory()
    try:
        peek = drop.peek_directory(configuration, directory)
    except drop.DropError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    if not peek.exists:
        return ConnectionTest(ok=False, message=f"Logged in; the folder {directory} does not exist.")
    metadata = [name for name in peek.csv_files if name.lower() == feeds.METADATA_FILE]
    user_feeds = sorted(name for name in peek.csv_files if feeds.feed_date(name))
    return ConnectionTest(
        ok=True,
        message=(
            f"Logged in; {directory} holds {'the' if metadata else 'no'} course file {feeds.METADATA_FILE} and "
            f"{len(user_feeds)} user feed(s)."
        ),
        found=[*metadata, *user_feeds[-5:]],
        found_label="files",
    )


test_connection.__test__ = False  # not a pytest test
