"""The load profiles of the load tests: locust in another process against the served host, with a think
time or in a closed loop, the server's CPU per request around each, and their report lines and pairs."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.harness.server import BIN, ROOT, server_cpu_seconds


def think_range(text: str) -> tuple[float, float] | None:
    """``"0.5-1.5"`` → (0.5, 1.5), ``"1"`` → (1.0, 1.0), ``"0"`` → None (no think-time profile)."""
    low, _sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds, or a range such as 0.5-1.5") from None
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: a range from low to high, both >= 0")
    return None if bounds[1] == 0 else bounds


def add_load_arguments(parser: argparse.ArgumentParser, *, who: str, think: str, port: int) -> None:
    """The options of a load test: ``--seconds`` of each profile, ``--think-time`` of ``who`` (default
    ``think``) and ``--closed-loop``, the server's ``--workers`` and ``--threads``, its ``--port``."""
    parser.add_argument("--seconds", type=int, default=30, help="length of each load profile (30)")
    parser.add_argument(
        "--think-time",
        type=think_range,
        default=think_range(think),
        help=f"seconds each {who} waits between requests in the default profile, uniform in LOW-HIGH "
        f"(default {think}; 0: skip this profile)",
    )
    parser.add_argument(
        "--closed-loop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"also run the {who}s with no think time (throughput-bound; keys closed_loop_...)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker, gthread (8)")
    parser.add_argument("--port", type=int, default=port)


def load_test_can_run(parser: argparse.ArgumentParser, args) -> bool:
    """Whether the load test has a profile to run (else the parser's error) and PostgreSQL to run on (else
    False, said on stderr: the server's workers share the benchmark's database)."""
    if args.think_time is None and not args.closed_loop:
        parser.error("nothing to run: --think-time 0 with --no-closed-loop")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("needs DATABASE_URL=postgres://… (the benchmark creates and drops bench_<name>)", file=sys.stderr)
        return False
    return True


def think_text(think: tuple[float, float] | None) -> str:
    """A think time as the report writes it: ``LOW-HIGH``, or ``0`` for none."""
    return "0" if think is None else f"{think[0]}-{think[1]}"


def load_profiles(think: tuple[float, float] | None, closed_loop: bool) -> list[tuple[str, tuple[float, float] | None]]:
    """(prefix of the keys, think time): the think-time profile first, then the closed loop (``closed_loop_…``)."""
    profiles: list[tuple[str, tuple[float, float] | None]] = [("", think)] if think is not None else []
    if closed_loop:
        profiles.append(("closed_loop_" if profiles else "", None))
    return profiles


def run_locust(locustfile: str, *, users: int, seconds: int, port: int, env: dict) -> dict[str, dict[str, float]]:
    """Run ``benchmarks/<locustfile>`` headless with ``users`` users for ``seconds`` (locust of this
    virtualenv, or ``BENCH_LOCUST``); its figures per request name and ``Aggregated``."""
    import csv
    import subprocess

    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    subprocess.run(  # noqa: S603 - our own executables
        [
            os.environ.get("BENCH_LOCUST", str(BIN / "locust")),
            *("-f", str(ROOT / "benchmarks" / locustfile), "--headless", "-u", str(users), "-r", str(users)),
            *("-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "run")),
            *("--only-summary", "--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    stats = {}
    with (out / "run_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "rps": float(row["Requests/s"]),
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return stats


def load_profile(server, database: str, locustfile: str, *, think_variable: str, think, **locust) -> dict:
    """One profile: ``run_locust`` with the think time in ``think_variable`` ("LOW-HIGH", "" for none),
    the server's CPU and the load average around it. ``Aggregated`` gets ``cpu_ms`` (per request,
    gunicorn + PostgreSQL), ``python_ms``, ``database_ms``, ``load_before`` and ``load_after``."""
    env = {**locust.pop("env"), think_variable: "" if think is None else f"{think[0]}-{think[1]}"}
    load_before = os.getloadavg()[0]
    before = server_cpu_seconds(server.pid, database)
    stats = run_locust(locustfile, env=env, **locust)
    after = server_cpu_seconds(server.pid, database)
    total = stats["Aggregated"]
    python_ms, database_ms = (1000 * (a - b) / max(total["requests"], 1) for a, b in zip(after, before, strict=True))
    total |= {"python_ms": python_ms, "database_ms": database_ms, "cpu_ms": python_ms + database_ms}
    total |= {"load_before": load_before, "load_after": os.getloadavg()[0]}
    return stats


def run_profiles(server, locustfile: str, *, think_variable: str, think, closed_loop: bool, **locust) -> list[tuple]:
    """Every profile of ``load_profiles`` in turn against ``server`` on this process's database:
    ``(prefix, think, stats)`` each, ``stats`` as ``load_profile`` gives them."""
    from django.db import connection

    database = connection.settings_dict["NAME"]
    return [
        (
            prefix,
            profile,
            load_profile(server, database, locustfile, think_variable=think_variable, think=profile, **locust),
        )
        for prefix, profile in load_profiles(think, closed_loop)
    ]


def load_pairs(prefix: str, stats: dict, names: tuple[str, ...], targets: tuple[str, ...]) -> dict[str, object]:
    """The key=value pairs of one profile: ``p95_ms`` (the worse of ``targets``' p95s), requests/s,
    errors, the server's CPU per request and its split, the 1-minute load average before and after it
    (``load_during_locust=BEFORE-AFTER``, apart from the report's own ``load_before``/``load_after``),
    then each name's figures."""
    total = stats["Aggregated"]
    pairs: dict[str, object] = {
        f"{prefix}p95_ms": f"{max(stats[name]['p95'] for name in targets if name in stats):.0f}",
        f"{prefix}rps": f"{total['rps']:.1f}",
        f"{prefix}errors": total["failures"],
        f"{prefix}server_cpu_ms_per_request": f"{total['cpu_ms']:.1f}",
        f"{prefix}gunicorn_cpu_ms_per_request": f"{total['python_ms']:.1f}",
        f"{prefix}postgres_cpu_ms_per_request": f"{total['database_ms']:.1f}",
        f"{prefix}load_during_locust": f"{total['load_before']:.2f}-{total['load_after']:.2f}",
    }
    for name in names:
        if name in stats:
            pairs[f"{prefix}{name}_rps"] = f"{stats[name]['rps']:.1f}"
            for key in ("p50", "p95", "p99"):
                pairs[f"{prefix}{name}_{key}_ms"] = f"{stats[name][key]:.0f}"
    return pairs


def load_lines(label: str, stats: dict, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The table lines of one profile (``Report.table``)."""
    total = stats["Aggregated"]
    lines = [
        (
            f"{label}: server",
            f"{total['rps']:.1f} req/s, {total['failures']} failures, CPU {total['cpu_ms']:.1f} ms a request"
            f" (gunicorn {total['python_ms']:.1f} + PostgreSQL {total['database_ms']:.1f}),"
            f" load {total['load_before']:.2f} -> {total['load_after']:.2f}",
        )
    ]
    for name in names:
        if name in stats:
            s = stats[name]
            lines.append(
                (
                    f"{label}: {name}",
                    f"{s['requests']:,} requests, p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, p99 {s['p99']:.0f} ms,"
                    f" {s['failures']} failures",
                )
            )
    return lines
