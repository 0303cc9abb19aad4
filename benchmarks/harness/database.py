"""The benchmark's Django: settings, a fresh throw-away database (SQLite in a temporary file, or
``DATABASE_URL``'s server, ``test_<name>``), query counting, and plain deletes of a customer's rows."""

from __future__ import annotations

import contextlib
import os
import tempfile


def configure_django(settings_module: str = "standalone.settings") -> None:
    """Django's settings and apps, no database yet (``setup_django`` creates it): for a measured step
    that needs no database, forked before the migrations grow the process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    # The fakes the benchmarks run against listen on 127.0.0.1 over http (decision 0151).
    os.environ.setdefault("CHANNELS_ALLOW_HTTP", "1")
    os.environ.setdefault("CHANNELS_ALLOWED_ADDRESSES", "127.0.0.1,::1,localhost")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
    import django

    django.setup()


def setup_django(settings_module: str = "standalone.settings", *, keepdb: bool = False):
    """Configure Django and create a fresh database; return a function that drops it.

    ``keepdb``: reuse ``test_<name>`` when it exists (migrated up to date) and keep it afterwards,
    for benchmarks whose data takes long to build (the benchmark checks what is already there).
    """
    configure_django(settings_module)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False
    settings.LOGGING_CONFIG = None
    # No serialized copy of the contents (for TransactionTestCase rollbacks): benchmarks do not
    # need it, and with keepdb it would read the whole kept database first.
    old = setup_databases(verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")

    def teardown():
        teardown_databases(old, verbosity=0, keepdb=keepdb)

    return teardown


@contextlib.contextmanager
def count_queries():
    """Count the queries run on the default connection inside the block (``.count``)."""
    from django.db import connection

    class Counter:
        count = 0

    counter = Counter()

    def wrapper(execute, sql, params, many, context):
        counter.count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def delete_customer_rows(customer, models) -> None:
    """Remove every row of ``models`` that belongs to ``customer``, one plain DELETE per table."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            field = model._meta.get_field("customer")
            cursor.execute(
                f"DELETE FROM {table} WHERE {connection.ops.quote_name(field.column)} = %s",  # noqa: S608 (quoted identifiers)
                [field.get_db_prep_value(customer.pk, connection)],
            )
