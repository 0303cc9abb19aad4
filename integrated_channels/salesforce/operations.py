"""The Salesforce connector's operation: import users or contacts (and Test connection)."""

from __future__ import annotations

from integrated_channels.directory.importing import import_source
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.salesforce.attributes import ATTRIBUTES
from integrated_channels.salesforce.client import SalesforceClient
from integrated_channels.salesforce.models import SalesforceConfiguration
from integrated_channels.salesforce.source import SalesforceSource, query_of

USER_IMPORT = "user_import"


def import_users(configuration: SalesforceConfiguration, *, trigger, start_date=None, api_user=None, run=None):
    client = SalesforceClient(configuration)
    return import_source(
        configuration,
        client,
        lambda: SalesforceSource(client, configuration),
        kind=USER_IMPORT,
        trigger=trigger,
        api_user=api_user,
        run=run,
    )


def test_connection(configuration: SalesforceConfiguration) -> ConnectionTest:
    """A token, then a COUNT() query of what the connection imports."""
    client = SalesforceClient(configuration)
    try:
        query = query_of(configuration, []).replace("SELECT Id FROM", "SELECT COUNT() FROM", 1)
        page = client.get(f"/services/data/{configuration.api_version}/query", params={"q": query})
    finally:
        client.close()
    what = "contacts" if configuration.records == configuration.Records.CONTACTS else "users"
    return ConnectionTest(
        ok=True,
        message=f"Connected to {configuration.my_domain_url}; {page.get('totalSize', 0)} {what} to import.",
        found=list(ATTRIBUTES),
        found_label="fields",
    )


test_connection.__test__ = False  # not a pytest test
