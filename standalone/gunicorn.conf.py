"""gunicorn settings of the standalone host: ``gunicorn -c standalone/gunicorn.conf.py standalone.wsgi``.

Threaded workers (gthread): an API request spends much of its time waiting for PostgreSQL, so one
process per core with a few threads each keeps the cores busy without a process per client, and
HTTP keep-alive spares API clients a new connection per request (sync workers close each one).
Each thread keeps its own database connection (``DATABASE_CONN_MAX_AGE``): workers times threads
connections. Measured in decision 0111. Environment: ``GUNICORN_BIND`` (127.0.0.1:8000),
``GUNICORN_WORKERS`` (the number of CPUs), ``GUNICORN_THREADS`` (8).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 2)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5


def post_worker_init(worker):
    """Generate the OpenAPI schema once before the worker serves: drf-spectacular loads its
    extensions during the first generation, which is not thread-safe (tfranzel/drf-spectacular#1122:
    concurrent first requests of /api/schema/ failed with a 500 under threaded workers)."""
    from drf_spectacular.generators import SchemaGenerator

    SchemaGenerator().get_schema(request=None, public=True)
