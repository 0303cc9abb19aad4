"""A real Celery worker process for the tests marked ``celery`` (broker from CELERY_BROKER_URL).

The worker shares the test database, so these tests run on PostgreSQL (a SQLite test database
lives in this process only) and use ``django_db(transaction=True)``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL", "")

needs_broker = pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/5)")


def database_url() -> str:
    """The URL of the test database, as the worker process must see it."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def celery_worker(
    log_dir: Path,
    *,
    queue_prefix: str,
    pool_args: tuple[str, ...] = ("--pool", "solo"),
    env: dict | None = None,
    processes: list | None = None,
):
    """Start ``celery -A standalone worker`` on a queue of its own; yield (queue, log path).

    ``env`` adds to the worker's environment (e.g. another settings module); the worker's
    ``Popen`` is appended to ``processes`` when given (a test that kills it)."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share: run this test on PostgreSQL")
    queue = f"{queue_prefix}-{uuid.uuid4().hex[:10]}"
    log = log_dir / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(), **(env or {})}
    command = [sys.executable, "-m", "celery", "-A", "standalone", "worker", "-Q", queue, *pool_args]
    command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "--hostname", f"{queue}@%h"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    if processes is not None:
        processes.append(process)
    try:
        yield queue, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
