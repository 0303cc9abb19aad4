"""The Workday connector's operations: import workers (and Test connection)."""

from __future__ import annotations

from django.db import connections, router
from django.utils import timezone

from enterprise.services.bulk_sql import insert_records
from integrated_channels.directory.importing import import_source
from integrated_channels.integrated_channel.imports import mapping as mappings
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.workday.attributes import ATTRIBUTES
from integrated_channels.workday.client import WorkdayClient
from integrated_channels.workday.models import WorkdayConfiguration, WorkdayWorker
from integrated_channels.workday.source import WorkdayWorkersSource

USER_IMPORT = "user_import"
SKILLS_EXPORT = "skills_export"


UPSERT = (
    "ON CONFLICT (customer_id, worker_uuid) DO UPDATE SET "
    "email = EXCLUDED.email, name = EXCLUDED.name, modified = EXCLUDED.modified"
)


def _remember(configuration):
    """Keep each imported worker's UUID, e-mail and name: one ``INSERT … ON CONFLICT`` a batch (rows as one
    JSON parameter, ``bulk_sql.insert_records``) on PostgreSQL and SQLite, ``bulk_create`` elsewhere."""

    def remember(batch):
        latest = {wid: (email, name[:255]) for wid, email, name in batch}  # a UUID once a statement
        if connections[router.db_for_write(WorkdayWorker)].vendor in ("postgresql", "sqlite"):
            insert_records(
                WorkdayWorker,
                rows=[{"worker_uuid": wid, "email": email, "name": name} for wid, (email, name) in latest.items()],
                constants={"customer_id": configuration.customer_id, "configuration_id": configuration.pk},
                tail=UPSERT,
            )
            return
        WorkdayWorker.objects.bulk_create(
            [
                WorkdayWorker(
                    customer_id=configuration.customer_id,
                    configuration=configuration,
                    worker_uuid=wid,
                    email=email,
                    name=name,
                )
                for wid, (email, name) in latest.items()
            ],
            update_conflicts=True,
            unique_fields=["customer", "worker_uuid"],
            update_fields=["email", "name", "modified"],
        )

    return remember


def import_workers(configuration: WorkdayConfiguration, *, trigger, start_date=None, api_user=None, run=None):
    client = WorkdayClient(configuration)

    def source() -> WorkdayWorkersSource:
        email_column = mappings.imported(configuration.attribute_mapping)["email"]
        return WorkdayWorkersSource(client, configuration, email_column=email_column, remember=_remember(configuration))

    return import_source(
        configuration,
        client,
        source,
        kind=USER_IMPORT,
        trigger=trigger,
        api_user=api_user,
        run=run,
        refused=lambda source: source.clashes,
    )


def export_skills(configuration: WorkdayConfiguration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.workday.skills_export import export_skills

    return export_skills(configuration, trigger=trigger, start_date=start_date, api_user=api_user, run=run)


def test_connection(configuration: WorkdayConfiguration) -> ConnectionTest:
    """One Get_Workers call of one worker: the ISU can log in and read workers."""
    client = WorkdayClient(configuration)
    try:
        _workers, _pages, total = client.get_workers(
            page=1,
            as_of=timezone.now(),
            groups=["Include_Reference"],
            exclude_inactive=configuration.active_only,
            exclude_contingent=configuration.exclude_contingent_workers,
            count=1,
        )
    finally:
        client.close()
    return ConnectionTest(
        ok=True,
        message=f"Logged in to {configuration.tenant} as {configuration.isu()}; {total} workers to import.",
        found=list(ATTRIBUTES),
        found_label="attributes",
    )


test_connection.__test__ = False  # not a pytest test
