"""Trigram indexes for searching learners by part of an e-mail, a name or a username (decision 0201).

PostgreSQL only: the ``pg_trgm`` extension (trusted since PostgreSQL 13: a database owner may
create it) and one GIN index per column on ``UPPER(column::text)``, what Django's ``icontains``
compares, built ``CONCURRENTLY`` so a large user table stays writable (hence ``atomic = False``).
When the extension cannot be created (no privilege), the indexes are skipped with a message and
``manage.py check --database default`` keeps warning (``enterprise.W002``) with the statements.
SQLite has no such index: a substring search reads the user table (decision 0201 measures it).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, migrations, transaction

COLUMNS = ("email", "username", "first_name", "last_name")


def _targets(schema_editor):
    user_model = get_user_model()
    quote = schema_editor.quote_name
    table = user_model._meta.db_table
    for name in COLUMNS:
        fields = {field.name: field for field in user_model._meta.get_fields() if hasattr(field, "column")}
        if name not in fields:  # a custom user model without this field
            continue
        column = fields[name].column
        yield f"hostdb_user_{name}_trgm", quote(table), quote(column)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(f"\n  pg_trgm is not available ({exc}); learner searches will scan the user table.")
        return
    for index, table, column in _targets(schema_editor):
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _table, _column in _targets(schema_editor):
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("hostdb", "0001_user_email_index"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
