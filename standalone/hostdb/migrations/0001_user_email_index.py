"""An index for case-insensitive e-mail look-ups on the host's user table (decision 0110).

PostgreSQL: ``UPPER(email)``, what Django's ``iexact`` and ``user_lookup.users_by_email`` compare,
built ``CONCURRENTLY`` so a large existing table stays writable (hence ``atomic = False``).
SQLite: ``LOWER(email)``, what ``users_by_email`` compares there. Other databases: nothing.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations

INDEX = "hostdb_user_email_ci"


def _names(schema_editor):
    # The email field's name is a class attribute (EMAIL_FIELD), which historical models lack.
    user_model = get_user_model()
    quote = schema_editor.quote_name
    column = user_model._meta.get_field(user_model.get_email_field_name()).column
    return quote(user_model._meta.db_table), quote(column)


def create_index(apps, schema_editor):
    table, column = _names(schema_editor)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {table} (UPPER({column}))")
    elif vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (LOWER({column}))")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
