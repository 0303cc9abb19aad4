"""E-mail look-ups on the user table use an index (decision 0110).

The standalone host's ``hostdb`` migration adds it; on PostgreSQL, the ``enterprise.W001``
check tells an integrator whose user table lacks it.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.checks import check_user_email_index
from enterprise.services.user_lookup import users_by_email
from tests.factories import UserFactory

INDEX = "hostdb_user_email_ci"


def _lookup_sql() -> str:
    with CaptureQueriesContext(connection) as captured:
        users_by_email(["someone@example.com", "other@example.com"])
    (query,) = captured.captured_queries
    return query["sql"]


@pytest.mark.django_db
def test_bulk_lookup_by_email_reads_the_index_not_the_table():
    UserFactory.create_batch(3)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a 3-row table: make the index the plan's only way
            cursor.execute("EXPLAIN " + _lookup_sql())
        elif connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + _lookup_sql())
        else:
            pytest.skip("the index is made for PostgreSQL and SQLite")
        plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    # On a 3-row table PostgreSQL may take the trigram index of the same expression (decision 0201),
    # which answers equality too; either way no table scan.
    assert INDEX in plan or "hostdb_user_email_trgm" in plan, plan


@pytest.mark.postgresql
@pytest.mark.django_db
def test_email_search_of_linked_learners_reads_the_index():
    """Django's ``iexact`` is ``UPPER(email) = UPPER(%s)`` on PostgreSQL: the same index."""

    queryset = get_user_model().objects.filter(email__iexact="Someone@Example.com").values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert INDEX in plan, plan


@pytest.mark.django_db
def test_check_is_quiet_with_the_index_and_warns_without_it():
    assert check_user_email_index(None, databases=["default"]) == []
    assert check_user_email_index(None, databases=None) == []  # only with --database
    if connection.vendor != "postgresql":
        return  # the check looks at PostgreSQL's catalog only
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")  # rolled back with the test's transaction
    (warning,) = check_user_email_index(None, databases=["default"])
    assert warning.id == "enterprise.W001" and warning.level == checks.WARNING
    assert "CREATE INDEX CONCURRENTLY" in warning.hint and "UPPER(email)" in warning.hint
    # A functional index of the host's own, under another name, satisfies it too.
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX host_email_upper ON auth_user (UPPER(email))")
    assert check_user_email_index(None, databases=["default"]) == []


@pytest.mark.django_db
def test_check_is_registered_for_manage_py_check_database():
    registered = checks.registry.registry.get_checks(include_deployment_checks=False)
    assert check_user_email_index in registered
    assert checks.Tags.database in check_user_email_index.tags
