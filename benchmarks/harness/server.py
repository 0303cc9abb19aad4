"""The standalone host under gunicorn for the load tests (api, portal, public_catalog): its environment,
serving it for a block, and the CPU seconds of its processes and of their PostgreSQL backends."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def server_env(**extra: str) -> dict[str, str]:
    """The environment of the standalone host served on the benchmark's database: production settings
    (``DJANGO_DEBUG=0``, the key of this process, which the benchmark's sessions were signed with),
    persistent connections, errors only in the log; ``extra`` for the benchmark's own variables."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "standalone.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",  # not the 4xx warnings of django.request; 5xx are errors
        **extra,
    }


@contextlib.contextmanager
def gunicorn(env: dict, *, port: int, workers: int, threads: int, worker_class: str = "gthread", root: Path = ROOT):
    """Serve the standalone host (``standalone/gunicorn.conf.py``) on 127.0.0.1:``port`` from the code in
    ``root`` for the block; yields the server's process once it answers. This process's connection is
    closed first (the server's backends are then the only ones on the database)."""
    import socket
    import subprocess

    from django.db import connection

    with socket.socket() as probe:  # another server on the port would answer the requests meant for ours
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"127.0.0.1:{port} is in use: choose another --port") from None
    connection.close()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "standalone" / "gunicorn.conf.py"), "standalone.wsgi"]
    command += ["-w", str(workers), "-k", worker_class]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen(  # noqa: S603 - our own executables
        [*command, "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=root, env=env
    )
    try:
        _wait_until_up(server, port)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(server, port: int) -> None:
    """Until the server answers: the docs page is a cheap 200 for anyone (not the schema, which the
    workers generate once before serving, see standalone/gunicorn.conf.py)."""
    import urllib.request

    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit status {server.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def server_cpu_seconds(server_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds so far of (the gunicorn master and workers, the PostgreSQL backends of ``database``):
    what the requests cost the machine, whatever else it is running."""
    import psutil
    from django.db import connection

    def used(processes) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    server = psutil.Process(server_pid)
    backends = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        for (pid,) in cursor.fetchall():
            try:
                backends.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
    return used([server, *server.children(recursive=True)]), used(backends)
