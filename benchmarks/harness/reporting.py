"""The report every benchmark ends with: a table for people, then one line of ``key=value`` pairs."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field

from benchmarks.harness.measuring import Measurement
from benchmarks.harness.resources import peak_rss_mb, process_peak_rss_mb


@dataclass
class Report:
    name: str
    sizes: dict[str, int]
    rows: int  # what queries_per_1000 is counted against
    measured: Measurement
    baseline: Measurement
    extra: dict[str, object] = field(default_factory=dict)
    table: list[tuple[str, str]] = field(default_factory=list)


def report(rep: Report, out=sys.stdout) -> dict[str, object]:
    from django.db import connection

    speedup = rep.baseline.seconds / rep.measured.seconds if rep.measured.seconds else float("inf")
    values: dict[str, object] = {
        "name": rep.name,
        **rep.sizes,
        "database": connection.vendor,
        "seconds": f"{rep.measured.seconds:.3f}",
        "baseline_seconds": f"{rep.baseline.seconds:.3f}",
        "speedup": f"{speedup:.1f}",
        "queries_per_1000": f"{rep.measured.queries * 1000 / max(rep.rows, 1):.2f}",
        "baseline_queries_per_1000": f"{rep.baseline.queries * 1000 / max(rep.rows, 1):.2f}",
        "peak_rss_mb": _mb(rep.measured.peak_rss_mb if rep.measured.peak_rss_mb is not None else peak_rss_mb()),
        "process_peak_rss_mb": _mb(process_peak_rss_mb()),
        "load_before": _load(rep.measured.load_before),
        "load_after": _load(rep.measured.load_after),
    }
    if rep.measured.peak_rss_mb is not None and rep.measured.rss_before_mb is not None:
        values["rss_growth_mb"] = _mb(rep.measured.peak_rss_mb - rep.measured.rss_before_mb)
    if len(rep.measured.runs) > 1:
        values["repeat"] = len(rep.measured.runs)
        values["seconds_min"] = f"{min(rep.measured.runs):.3f}"
        values["seconds_median"] = f"{statistics.median(rep.measured.runs):.3f}"
    values.update(rep.extra)
    lines = [
        ("benchmark", rep.name),
        ("database", connection.vendor),
        *((k, str(v)) for k, v in rep.sizes.items()),
        ("this project", f"{rep.measured.seconds:.3f} s, {rep.measured.queries} queries"),
        *(
            [("runs", f"{len(rep.measured.runs)}: min {values['seconds_min']} s, median {values['seconds_median']} s")]
            if len(rep.measured.runs) > 1
            else []
        ),
        ("per-row baseline", f"{rep.baseline.seconds:.3f} s, {rep.baseline.queries} queries"),
        ("speedup", f"{speedup:.1f}x"),
        *rep.table,
        ("peak RSS", f"{values['peak_rss_mb']} MB during the operation, {values['process_peak_rss_mb']} MB process"),
        ("load average", f"{values['load_before']} before, {values['load_after']} after"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}", file=out)
    print(" ".join(f"{k}={v}" for k, v in values.items()), file=out)
    return values


def _mb(value: float) -> str:
    return f"{value:.1f}"


def _load(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"
