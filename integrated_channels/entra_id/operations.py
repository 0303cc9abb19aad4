"""The Entra ID connector's operation: import users (full, then by changes), and its Test connection.

A run reads everyone (``GraphUsersSource`` full) when the connection has no delta state, when
its mapping changed since (the delta tracks the selected properties), when it filters by
manager (the hierarchy needs everyone), or when Graph no longer knows the delta token; it first
takes a deltaLink "from now" (``$deltatoken=latest``), so changes made while it reads are read
again by the next run, never lost. Otherwise it follows the stored deltaLink: the users changed
are read again whole and go through the pipeline; the users deleted (``@removed``) and, when the
connection says so, those disabled are unlinked. The delta state, the object ids and the import
are written in the run's one transaction (``directory.importing``): a failure keeps the previous
deltaLink and the next run starts from it again.
"""

from __future__ import annotations

from integrated_channels.directory.importing import Imported, pipeline_import, run_import, unlink_people
from integrated_channels.entra_id.attributes import ATTRIBUTES, selected
from integrated_channels.entra_id.client import DeltaExpired, GraphClient
from integrated_channels.entra_id.models import EntraDeltaState, EntraDirectoryUser, EntraIDConfiguration
from integrated_channels.entra_id.source import GraphUsersSource, latest_delta_link, read_delta
from integrated_channels.integrated_channel.imports import mapping as mappings
from integrated_channels.integrated_channel.imports.filters import parse_conditions
from integrated_channels.integrated_channel.imports.pipeline import required_columns
from integrated_channels.integrated_channel.services.connections import ConnectionTest

USER_IMPORT = "user_import"
REMEMBER_BATCH = 5000


def delta_params(configuration) -> dict[str, str]:
    """What the delta tracks: the mapped properties (and the manager when one is mapped)."""
    columns = required_columns(
        configuration.attribute_mapping,
        configuration.learner_fields(),
        parse_conditions(configuration.import_conditions),
    )
    select, manager = selected(columns)
    params = {"$select": ",".join(select)}
    if manager:
        params["$expand"] = "manager"
    return params


def _remember(configuration):
    def remember(pairs):
        for start in range(0, len(pairs), REMEMBER_BATCH):
            EntraDirectoryUser.objects.bulk_create(
                [
                    EntraDirectoryUser(configuration=configuration, object_id=object_id, email=email)
                    for object_id, email in pairs[start : start + REMEMBER_BATCH]
                ],
                update_conflicts=True,
                unique_fields=["configuration", "object_id"],
                update_fields=["email"],
            )

    return remember


def emails_of(configuration, object_ids) -> list[str]:
    found = []
    ids = list(object_ids)
    for start in range(0, len(ids), REMEMBER_BATCH):
        found += EntraDirectoryUser.objects.filter(
            configuration=configuration, object_id__in=ids[start : start + REMEMBER_BATCH]
        ).values_list("email", flat=True)
    return found


def import_users(configuration: EntraIDConfiguration, *, trigger, start_date=None, api_user=None, run=None):
    client = GraphClient(configuration)

    def body(run, live) -> Imported:
        done = Imported()
        params = delta_params(configuration)
        selection = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
        state = EntraDeltaState.objects.filter(configuration=configuration).first()
        email_column = mappings.imported(configuration.attribute_mapping)["email"]
        delta = None
        if configuration.use_delta and not configuration.manager_filter() and state and state.selection == selection:
            try:
                delta = read_delta(client, state.delta_link)
            except DeltaExpired:
                delta = None  # Graph forgot the token: everyone is read again below
        remember = _remember(configuration)
        if delta is not None:
            changed, removed, new_link, _calls = delta
            source = GraphUsersSource(
                client,
                email_column=email_column,
                skip_disabled=configuration.unlink_disabled,
                ids=changed,
                remember=remember,
            )
            done.counts = pipeline_import(configuration, source, run, live, unlink_leavers=False)
            gone = set(removed) | (set(changed) - source.found_ids)
            done.unlinked += unlink_people(configuration, emails_of(configuration, gone))
            EntraDirectoryUser.objects.filter(configuration=configuration, object_id__in=list(gone)).delete()
        else:
            new_link = latest_delta_link(client, params) if configuration.use_delta else ""
            source = GraphUsersSource(
                client, email_column=email_column, skip_disabled=configuration.unlink_disabled, remember=remember
            )
            done.counts = pipeline_import(configuration, source, run, live)
        if configuration.unlink_disabled and source.disabled:
            done.unlinked += unlink_people(configuration, source.disabled)
        done.extra_skips["account_disabled"] = len(source.disabled)
        if new_link:
            EntraDeltaState.objects.update_or_create(
                configuration=configuration, defaults={"delta_link": new_link, "selection": selection}
            )
        else:
            EntraDeltaState.objects.filter(configuration=configuration).delete()
        done.remote_calls = client.calls
        return done

    try:
        return run_import(configuration, kind=USER_IMPORT, trigger=trigger, body=body, api_user=api_user, run=run)
    finally:
        client.close()


def test_connection(configuration: EntraIDConfiguration) -> ConnectionTest:
    """A token, then the organization: its primary domain is stored on the connection; one user read."""
    client = GraphClient(configuration)
    try:
        organization = client.get("organization", params={"$select": "id,displayName,verifiedDomains"})
        values = organization.get("value") or []
        org = values[0] if values and isinstance(values[0], dict) else {}
        domains = [d for d in org.get("verifiedDomains") or [] if isinstance(d, dict)]
        primary = next((d.get("name") for d in domains if d.get("isDefault")), "") or ""
        client.get("users", params={"$select": "id", "$top": "1"}, what="the users")
    finally:
        client.close()
    if primary and primary != configuration.primary_domain:
        EntraIDConfiguration.objects.filter(pk=configuration.pk).update(primary_domain=primary)
        configuration.primary_domain = primary
    name = org.get("displayName") or configuration.tenant_id
    return ConnectionTest(
        ok=True,
        message=f"Connected to the tenant {name} (primary domain {primary or 'unknown'}); the users can be read.",
        found=list(ATTRIBUTES),
        found_label="attributes",
    )


test_connection.__test__ = False  # not a pytest test
