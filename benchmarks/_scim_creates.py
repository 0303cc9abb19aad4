"""SCIM creates, one request after the other: ``python -m benchmarks directory_import --source scim --rows 10000``.

Starts the standalone host's WSGI application on 127.0.0.1 (a ``wsgiref`` server in a thread, one
request at a time) with a customer and its SCIM token, then POSTs ``--rows`` Users to
``/scim/v2/Users`` as Microsoft Entra sends them (core + enterprise extension: department,
employee number, a manager every tenth user); half the addresses belong to existing accounts
(linked learners), half are unknown (pending learners). Reports the latency per request (p50,
p95, p99, max, measured by the client over HTTP) and the queries per request (counted in the
server thread). The target is a p95 under 25 ms on PostgreSQL.

Baseline, in the same run: a straightforward per-row implementation of the same job without SCIM
or HTTP (look the account up with ``iexact``, link it or add a pending learner with the
single-row services, save the attributes on the learner), for the first ``--baseline-rows``
people, scaled to ``--rows``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import statistics
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # no access log on stderr
        pass


def _payload(i: int, manager_id: str | None) -> dict:
    email = f"scim.{i:07d}@example.com"
    extension = {"department": f"Dept {i % 40}", "employeeNumber": str(100000 + i)}
    if manager_id:
        extension["manager"] = manager_id  # a bare id, as Entra sends it
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": f"ext-{i}",
        "userName": email,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}", "formatted": f"Given{i} Family{i}"},
        ENTERPRISE: extension,
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _serve(app):
    from benchmarks.harness import count_queries

    counted = {"queries": 0, "cpu": []}

    def counting(environ, start_response):
        cpu = time.thread_time()
        with count_queries() as counter:
            result = list(app(environ, start_response))
        counted["cpu"].append(time.thread_time() - cpu)
        counted["queries"] += counter.count
        return result

    server = make_server("127.0.0.1", 0, counting, server_class=WSGIServer, handler_class=_QuietHandler)

    def serve():
        from django.db import connections

        try:
            server.serve_forever()
        finally:
            connections.close_all()  # the thread's persistent connection: the test database can be dropped

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    server.thread = thread
    return server, counted


def _http_creates(port: int, secret: str, rows: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    manager_id = None
    failures = 0
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(rows):
        body = json.dumps(_payload(i, manager_id if i % 10 == 9 else None))
        start = time.perf_counter()
        connection.request("POST", "/scim/v2/Users", body, headers)
        response = connection.getresponse()
        data = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 201:
            failures += 1
            if failures <= 3:
                print(f"request {i}: {response.status} {data[:300]!r}")
        elif i % 10 == 0:
            manager_id = json.loads(data)["id"]
        if response.getheader("Connection", "").lower() == "close" or response.version == 10:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()
    return latencies, failures


def _per_row_baseline(customer, rows: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from enterprise.services.linking import link_user
    from enterprise.services.pending import add_pending_learner

    user_model = get_user_model()
    for i in range(rows):
        payload = _payload(i, None)
        email = payload["emails"][0]["value"].replace("scim.", "base.")
        attributes = {"department": payload[ENTERPRISE]["department"], "first_name": payload["name"]["givenName"]}
        with transaction.atomic():
            user = user_model.objects.filter(email__iexact=email).first()
            if user is None:
                add_pending_learner(customer=customer, email=email)
            else:
                learner = link_user(customer=customer, user=user).learner
                learner.attributes = {**learner.attributes, **attributes}
                learner.save(update_fields=["attributes"])


def _build_users(prefix: str, rows: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    user_model = get_user_model()
    user_model.objects.bulk_create(
        [
            user_model(
                username=f"{prefix}{i:07d}", email=f"{prefix}.{i:07d}@Example.com", password=UNUSABLE_PASSWORD_PREFIX
            )
            for i in range(rows)
            if i % 2 == 0
        ],
        batch_size=5000,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks directory_import --source scim", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="Users created, one request after the other (10000)")
    parser.add_argument("--baseline-rows", type=int, default=2000, help="people the baseline handles, scaled (2000)")
    args = parser.parse_args(argv)
    rows, baseline_rows = args.rows, min(args.baseline_rows or args.rows, args.rows)

    from benchmarks.harness import Measurement, Report, measure, report, setup_django

    logging.disable(logging.INFO)
    teardown = setup_django()
    try:
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application
        from django.db import connection, connections

        from enterprise.models import EnterpriseCustomer
        from integrated_channels.scim.services.tokens import create_token

        settings.ALLOWED_HOSTS = ["*"]
        # Persistent connections, as a production host runs (DATABASE_CONN_MAX_AGE, docs/scim.md): the
        # server thread opens its connection once, not once a request.
        connections.settings["default"]["CONN_MAX_AGE"] = 600
        customer = EnterpriseCustomer.objects.create(name="SCIM benchmark", slug="scim-benchmark")
        baseline_customer = EnterpriseCustomer.objects.create(name="Baseline", slug="scim-baseline")
        _build_users("scim", rows)
        _build_users("base", baseline_rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        secret = create_token(customer=customer).secret
        server, counted = _serve(get_wsgi_application())
        try:
            _http_creates(server.server_port, secret, min(20, rows))  # warm-up: imports, caches
            from integrated_channels.scim.models import ScimUser

            ScimUser.objects.filter(customer=customer).delete()
            counted["queries"], counted["cpu"] = 0, []
            start = time.perf_counter()
            latencies, failures = _http_creates(server.server_port, secret, rows)
            seconds = time.perf_counter() - start
        finally:
            server.shutdown()
            server.thread.join(timeout=10)
            server.server_close()
        measured = Measurement(seconds=seconds, queries=counted["queries"])
        base = measure(_per_row_baseline, baseline_customer, baseline_rows)
        scale = rows / baseline_rows
        baseline = Measurement(seconds=base.seconds * scale, queries=int(base.queries * scale))
        ms = [value * 1000 for value in latencies]
        p50, p95, p99 = (_percentile(ms, fraction) for fraction in (0.5, 0.95, 0.99))
        cpu_ms = [value * 1000 for value in counted["cpu"]]
        cpu_p50, cpu_p95 = _percentile(cpu_ms, 0.5), _percentile(cpu_ms, 0.95)
        report(
            Report(
                name="directory_import",
                sizes={"source": "scim", "rows": rows},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra={
                    "p50_ms": f"{p50:.2f}",
                    "p95_ms": f"{p95:.2f}",
                    "p99_ms": f"{p99:.2f}",
                    "max_ms": f"{max(ms):.2f}",
                    "mean_ms": f"{statistics.fmean(ms):.2f}",
                    "server_cpu_p50_ms": f"{cpu_p50:.2f}",
                    "server_cpu_p95_ms": f"{cpu_p95:.2f}",
                    "failures": failures,
                    "queries_per_request": f"{measured.queries / max(rows, 1):.1f}",
                    "baseline_scaled_from_rows": baseline_rows,
                },
                table=[
                    (
                        "latency per request",
                        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, max {max(ms):.2f} ms",
                    ),
                    ("server CPU per request", f"p50 {cpu_p50:.2f} ms, p95 {cpu_p95:.2f} ms (the thread's own time)"),
                    ("queries per request", f"{measured.queries / max(rows, 1):.1f}"),
                    ("failed requests", str(failures)),
                    ("baseline", f"per-row services without SCIM or HTTP, {baseline_rows} rows scaled to {rows}"),
                ],
            )
        )
        return 1 if failures else 0
    finally:
        teardown()
