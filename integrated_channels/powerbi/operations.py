"""The Power BI connector's runners (one per report) and its connection test."""

from __future__ import annotations

import logging

from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.powerbi import push, reports, xapi_report
from integrated_channels.powerbi.models import PushState

logger = logging.getLogger(__name__)


def _client(connection, **kwargs):
    from integrated_channels.powerbi.client import PowerBIClient

    return PowerBIClient(connection, **kwargs)


def dataset_tables() -> list[dict]:
    return [table.schema() for table in reports.TABLES.values()]


def export_report(connection, operation: str, *, trigger, start_date=None, api_user=None, run=None, client=None) -> Run:
    """Push the report's rows of its window; resume an interrupted window first (decision 0271).

    The window is ``(since, until]``: ``since`` is the on-demand start date, else the end of the
    last window pushed (None the first time: everything); ``until`` is now. A window left half-way
    by an interrupted run is finished first, after the last row Power BI accepted.
    """
    xapi = operation == xapi_report.OPERATION
    table = xapi_report.table_for(connection) if xapi else reports.TABLES[operation]
    run = run or runs.start_run(
        configuration=connection, kind=operation, trigger=trigger, api_user=api_user, start_date=start_date
    )
    state, _created = PushState.objects.get_or_create(connection=connection, table=table.name)
    resume = ""
    if state.window_end is not None and state.resume_after:  # an interrupted window
        since, until, resume = state.window_start, state.window_end, state.resume_after
    else:
        since, until = (start_date or state.pushed_until), timezone.now()
    client = client or _client(connection)
    sent = 0
    truncated: list[push.Truncation] = []
    selection = (xapi_report.selection if xapi else reports.SELECTORS[operation])(connection, since, until)
    pending = reports.after(selection, resume)  # a resumed window: what the last run did not push
    PushState.objects.filter(pk=state.pk).update(window_start=since, window_end=until, resume_after=resume)
    batches = push.batches(pending, size=push.ROWS_PER_POST)
    try:
        batch = next(batches, None)
        if batch is not None:
            dataset_id = client.ensure_dataset(connection.dataset_name, dataset_tables())
            # xAPI's columns are the connection's, the others' grow with releases (e.g. the purchase
            # columns): the table's schema is put each run, so a dataset created earlier takes the rows
            client.put_table(dataset_id, table.schema())
            throttle = push.throttle_for(dataset_id, clock=client.clock)
        while batch is not None:
            large = state.rows_in_table >= push.LARGE_TABLE_ROWS
            throttle.acquire(len(batch.rows), large_table=large, wait=client.wait)
            client.post_rows(dataset_id, table.name, batch.rows)
            sent += len(batch.rows)
            state.rows_in_table += len(batch.rows)
            truncated += batch.truncated
            PushState.objects.filter(pk=state.pk).update(resume_after=batch.keys[-1], rows_in_table=state.rows_in_table)
            runs.heartbeat(run, selected=sent, sent=sent, remote_calls=client.calls)
            batch = next(batches, None)
    except ChannelError as exc:
        logger.info("Power BI run #%s stopped: %s", run.pk, exc)
        unsent = (len(batch.rows) if batch is not None else 0) + sum(len(rest.rows) for rest in batches)
        message = f"{exc.message} {sent:,} rows of this window were pushed; the next run resumes after them."
        RunError.objects.create(
            run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=message, transient=exc.transient
        )
        skipped = sum(selection.skip_reasons.values())
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=exc.code,
            error_message=message,
            selected=sent + unsent + skipped,
            sent=sent,
            skipped=skipped,
            skip_reasons=selection.skip_reasons,
            not_attempted=unsent,
            remote_calls=client.calls,
        )
        return run
    skipped = sum(selection.skip_reasons.values())
    PushState.objects.filter(pk=state.pk).update(
        pushed_until=until, window_start=None, window_end=None, resume_after=""
    )
    RunError.objects.bulk_create(
        [
            RunError(
                run=run,
                outcome=RunError.Outcome.RUN,
                code="value_truncated",
                message=f"Row {cut.key}, column {cut.column}: {cut.length:,} characters cut to {push.MAX_STRING:,} "
                "(Power BI's limit per string value). The row was pushed.",
            )
            for cut in truncated
        ]
    )
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if truncated else Run.Status.COMPLETED,
        selected=sent + skipped,
        sent=sent,
        skipped=skipped,
        skip_reasons=selection.skip_reasons,
        remote_calls=client.calls,
        watermark=until,
    )
    return run


def export_transcripts(connection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return export_report(
        connection, reports.TRANSCRIPTS, trigger=trigger, start_date=start_date, api_user=api_user, run=run
    )


def export_skills(connection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return export_report(connection, reports.SKILLS, trigger=trigger, start_date=start_date, api_user=api_user, run=run)


def export_unified(connection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return export_report(
        connection, reports.UNIFIED, trigger=trigger, start_date=start_date, api_user=api_user, run=run
    )


def export_training(connection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return export_report(
        connection, reports.TRAINING, trigger=trigger, start_date=start_date, api_user=api_user, run=run
    )


def export_xapi(connection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return export_report(
        connection, xapi_report.OPERATION, trigger=trigger, start_date=start_date, api_user=api_user, run=run
    )


def test_connection(connection) -> ConnectionTest:
    """A token, then the workspace's semantic models: proves the secret, the tenant and the workspace access."""
    client = _client(connection)
    try:
        names = [str(dataset.get("name")) for dataset in client.datasets()]
    except ChannelError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    finally:
        client.close()
    mine = connection.dataset_name in names
    message = "Connected. " + (
        f"The semantic model {connection.dataset_name!r} exists."
        if mine
        else f"The semantic model {connection.dataset_name!r} will be created by the first export."
    )
    return ConnectionTest(ok=True, message=message, found=sorted(names), found_label="semantic models")


test_connection.__test__ = False
