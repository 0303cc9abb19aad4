"""What the directory connectors (Microsoft Entra ID, Workday, Salesforce, miniOrange) share.

Not an app: an abstract model of the import settings every directory connection has (mapping,
filters, leavers), the one runner that takes a connector's source through the framework's
import pipeline (``importing.run_import``), the unlinking of people a directory says are gone or
disabled, and the admin form of the mapping screen with the connector's own attribute list.
Each connector is its own small app (its model, client, source, fake in tests/fakes/).
"""
