"""The benchmark's Django: settings, a fresh throw-away database (SQLite in a temporary file, or
``DATABASE_URL``'s server, ``bench_<name>``), query counting, and plain deletes of a customer's rows."""

from __future__ import annotations

import contextlib
import os
import sys
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


def setup_django(settings_module: str = "standalone.settings", *, keepdb: bool = False, migrate_apart: bool = False):
    """Configure Django and create a fresh database; return a function that drops it.

    The database is ``bench_<name>`` on a server (``_bench_names``), so a benchmark and the test suite
    (``test_<name>``) can share one ``DATABASE_URL`` without dropping each other's database.
    ``keepdb``: reuse ``bench_<name>`` when it exists (migrated up to date) and keep it afterwards,
    for benchmarks whose data takes long to build (the benchmark checks what is already there).
    ``migrate_apart``: create and migrate the database in a forked child (``_migrated_apart``), so
    that this process, like a production one, never ran the migrations (they leave it ~22 MB larger
    for good: the migration modules and what the migration loader kept, decision 0541); only for a
    database another process can reach (PostgreSQL, not SQLite's in-memory test database).
    """
    configure_django(settings_module)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False
    settings.LOGGING_CONFIG = None
    _bench_names()
    if migrate_apart and connection.vendor == "postgresql":
        old = _migrated_apart(keepdb=keepdb)
    else:
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


def _bench_names() -> None:
    """Name each server database's throw-away copy ``bench_<name>`` unless the settings name it (SQLite's
    stays in memory: a ``TEST`` name would put it in a file)."""
    from django.db import connections

    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if connections[alias].vendor != "sqlite" and not settings_dict.setdefault("TEST", {}).get("NAME"):
            settings_dict["TEST"]["NAME"] = f"bench_{settings_dict['NAME']}"


def _migrated_apart(*, keepdb: bool) -> list:
    """``setup_databases`` run in a forked child; this process then uses the test databases it made.

    Returns what ``teardown_databases`` needs: ``(connection, old name, destroy)`` for each alias.
    """
    import traceback

    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    connections.close_all()  # the child must not share this process's sockets
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        status = 0
        try:
            setup_databases(verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set())
            connections.close_all()
        except BaseException:  # reported, and the parent stops on the exit status
            traceback.print_exc()
            status = 1
        finally:
            os._exit(status)
    _pid, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("creating the test database failed (see above)")
    old = []
    for alias in connections:
        connection = connections[alias]
        old_name = connection.settings_dict["NAME"]
        test_name = connection.creation._get_test_db_name()
        settings.DATABASES[alias]["NAME"] = test_name
        connection.settings_dict["NAME"] = test_name
        old.append((connection, old_name, not keepdb))
    return old


@contextlib.contextmanager
def count_queries():
    """Count the queries run inside the block (``.count``): on the default connection and on every
    connection opened meanwhile, in any thread (a bulk link's look-up connection, decision 0585)."""
    import threading

    from django.db import connection
    from django.db.backends.signals import connection_created

    class Counter:
        count = 0

    counter = Counter()
    lock = threading.Lock()

    def wrapper(execute, sql, params, many, context):
        with lock:
            counter.count += 1
        return execute(sql, params, many, context)

    def opened(sender, connection, **kwargs):
        if wrapper not in connection.execute_wrappers:  # the default connection (re)opened: counted already
            connection.execute_wrappers.append(wrapper)

    connection_created.connect(opened, weak=False)
    try:
        with connection.execute_wrapper(wrapper):
            yield counter
    finally:
        connection_created.disconnect(opened)


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
