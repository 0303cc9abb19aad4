"""One runner for every directory import: a run around the framework's import pipeline.

``run_import`` starts (or takes) the run, refuses a connection whose mapping is incomplete, and
calls the connector's ``body(run, live)`` inside one transaction: the pipeline
(``pipeline_import``), and whatever the connector does with what it read (its delta state, the
people the directory says are gone or disabled: ``unlink_people``). Any failure — a page that
fails after its retries, an answer that is not what the vendor documents — rolls everything
back, so nothing of that run is half-applied, and the connector's saved state (a deltaLink, a
resume point) is the previous run's: the next run reads again from there. The run's counts,
skip reasons and error rows are the framework's (execution status, CSV error report, e-mail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower

from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf
from enterprise.services.linking import delete_pending_learners, unlink_users
from enterprise.services.user_lookup import users_by_email
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.filters import parse_conditions
from integrated_channels.integrated_channel.imports.pipeline import ImportCounts, run_user_import
from integrated_channels.integrated_channel.models import ImportedPerson, Run, RunError
from integrated_channels.integrated_channel.services import runs

logger = logging.getLogger(__name__)
UNLINK_CHUNK = 5000


@dataclass
class Imported:
    """What a connector's import body did: the pipeline's counts and the connector's own."""

    counts: ImportCounts = field(default_factory=ImportCounts)
    unlinked: int = 0  # unlinked because the directory says so (deleted, disabled), besides leavers
    extra_skips: dict[str, int] = field(default_factory=dict)  # reason → people left out by the connector
    remote_calls: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, message) of people the connector refused


def pipeline_import(configuration, source, run: Run, live, *, unlink_leavers: bool | None = None) -> ImportCounts:
    """``source`` through the pipeline with the connection's mapping, conditions and manager filter."""
    return run_user_import(
        configuration,
        source,
        run,
        mapping=configuration.attribute_mapping,
        conditions=parse_conditions(configuration.import_conditions),
        managers=configuration.manager_filter(),
        unlink_leavers=configuration.unlink_leavers if unlink_leavers is None else unlink_leavers,
        live=live,
    )


def import_source(
    configuration,
    client,
    make_source: Callable[[], object],
    *,
    kind: str,
    trigger: str,
    api_user=None,
    run=None,
    refused: Callable[[object], list[tuple[str, str]]] | None = None,
) -> Run:
    """The import whose body is the pipeline over one source read through ``client`` (``run_import``):
    ``make_source()`` is called inside the run (after the mapping is checked), the client's calls are the
    run's remote calls, and the client is closed at the end. ``refused(source)``: the (e-mail, message) of
    the people the source itself refused, failed rows of the run."""

    def body(run, live) -> Imported:
        source = make_source()
        done = Imported(counts=pipeline_import(configuration, source, run, live))
        done.errors = refused(source) if refused is not None else []
        done.remote_calls = client.calls
        return done

    try:
        return run_import(configuration, kind=kind, trigger=trigger, body=body, api_user=api_user, run=run)
    finally:
        client.close()


def run_import(
    configuration, *, kind: str, trigger: str, body: Callable[[Run, runs.LiveCounts], Imported], api_user=None, run=None
) -> Run:
    """Run ``body`` as the run ``kind`` of ``configuration``; the finished ``Run``."""
    run = run or runs.start_run(configuration=configuration, kind=kind, trigger=trigger, api_user=api_user)
    live = runs.LiveCounts(run)
    try:
        problems = configuration.run_errors()
        if problems:
            raise ImportRefused(" ".join(problems), code="mapping_incomplete")
        with transaction.atomic():
            done = body(run, live)
    except ChannelError as exc:
        live.close()
        _fail(run, code=exc.code, message=exc.message)
        return run
    except Exception as exc:
        live.close()
        logger.exception("Import %s of configuration %s failed", kind, configuration.pk)
        _fail(run, code="internal_error", message=f"{type(exc).__name__}: {exc}")
        raise
    live.close()
    counts = done.counts
    if done.errors:
        RunError.objects.bulk_create(
            [
                RunError(run=run, outcome=RunError.Outcome.FAILED, email=email[:254], message=message)
                for email, message in done.errors
            ],
            batch_size=1000,
        )
        counts.failed += len(done.errors)
        counts.rows += len(done.errors)
    reasons = {**counts.skip_reasons(), **{k: v for k, v in done.extra_skips.items() if v}}
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if counts.failed else Run.Status.COMPLETED,
        selected=counts.rows + sum(done.extra_skips.values()),
        sent=counts.imported,
        failed=counts.failed,
        skipped=counts.skipped + sum(done.extra_skips.values()),
        skip_reasons=reasons,
        learners_unlinked=counts.unlinked + done.unlinked,
        remote_calls=done.remote_calls,
    )
    return run


def _fail(run: Run, *, code: str, message: str) -> None:
    RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=code, message=message)
    # Nothing was imported (the transaction rolled back): the live counts written so far are reset.
    runs.finish_run(
        run, status=Run.Status.FAILED, error_code=code, error_message=message, selected=0, sent=0, skipped=0, failed=0
    )


def unlink_people(configuration, emails: Iterable[str]) -> int:
    """Unlink the learners (and remove the pending ones) of these e-mails from the connection's customer.

    The caller names only people its connection imported (the directory said they are gone or
    disabled); their leavers' rows are dropped. The number of learners unlinked or pending removed.
    """
    customer = configuration.customer
    wanted = sorted({normalize_email(email) for email in emails if email})
    done = 0
    for start in range(0, len(wanted), UNLINK_CHUNK):
        chunk = wanted[start : start + UNLINK_CHUNK]
        matches = users_by_email(chunk, chunk_size=len(chunk))
        user_ids = [found for found in matches.values() if isinstance(found, int)]
        if user_ids:
            linked = EnterpriseCustomerUser.objects.filter(customer=customer).filter(AnyOf(F("user_id"), user_ids))
            done += unlink_users(customer=customer, user_ids=list(linked.values_list("user_id", flat=True)))
        pending = PendingEnterpriseCustomerUser.objects.filter(customer=customer).filter(
            AnyOf(Lower("user_email"), chunk)
        )
        done += delete_pending_learners(customer=customer, pending_ids=list(pending.values_list("pk", flat=True)))
        ImportedPerson.objects.filter(configuration_id=configuration.pk).filter(AnyOf(F("email"), chunk)).delete()
    return done
