"""A trigram index on pending learners' addresses: search by part of an e-mail or its domain (decision 0201).

PostgreSQL only (``pg_trgm``, a GIN index on ``UPPER(user_email::text)``, what ``icontains``
compares), built ``CONCURRENTLY`` so a large table stays writable; skipped with a message when
the extension cannot be created. Other databases: nothing.
"""

from django.db import DatabaseError, migrations, transaction

INDEX = "pending_ecu_email_trgm"
TABLE = "enterprise_pendingenterprisecustomeruser"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(f"\n  pg_trgm is not available ({exc}); pending learner searches will scan their table.")
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} USING gin (UPPER(user_email::text) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("enterprise", "0006_access_tokens_of_every_client")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
