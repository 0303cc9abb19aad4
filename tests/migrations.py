"""Helpers of the tests that migrate the database back and forth to check a data migration."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to ``targets`` ([(app, migration name)]) and return the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    """The newest migration of every app (where ``migrate`` goes back to after a test)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
