"""Measuring an operation: its time, queries, memory peak and the load average around it, once or
repeated (``--repeat``), and a per-row baseline measured on a sample scaled to all the rows."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

from benchmarks.harness.database import count_queries
from benchmarks.harness.resources import _status_mb, operation_peak_rss_mb, reset_peak_rss


@dataclass
class Measurement:
    seconds: float
    queries: int
    result: object = None
    peak_rss_mb: float | None = None  # during the operation only
    rss_before_mb: float | None = None
    load_before: float | None = None
    load_after: float | None = None
    runs: list[float] = field(default_factory=list)  # seconds of each run (measure_repeated)


def measure(func, *args, **kwargs) -> Measurement:
    import gc

    gc.collect()
    load_before = os.getloadavg()[0]
    reset = reset_peak_rss()
    rss_before = _status_mb("VmRSS")
    with count_queries() as counter:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        seconds = time.perf_counter() - start
    return Measurement(
        seconds=seconds,
        queries=counter.count,
        result=result,
        peak_rss_mb=operation_peak_rss_mb() if reset else None,
        rss_before_mb=rss_before,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        runs=[seconds],
    )


def measure_repeated(func, *args, repeat: int = 1, reset=None, **kwargs) -> Measurement:
    """``measure`` ``repeat`` times, calling ``reset()`` between runs; the median run's figures.

    ``seconds`` is the median, ``runs`` every run's seconds; the memory peak is the highest of the
    runs, the load average the one before the first run and after the last.
    """
    runs = []
    for number in range(max(repeat, 1)):
        if number and reset is not None:
            reset()
        runs.append(measure(func, *args, **kwargs))
    ordered = sorted(runs, key=lambda run: run.seconds)
    median = ordered[(len(ordered) - 1) // 2]
    peaks = [run.peak_rss_mb for run in runs if run.peak_rss_mb is not None]
    return Measurement(
        seconds=statistics.median(run.seconds for run in runs),
        queries=median.queries,
        result=runs[-1].result,
        peak_rss_mb=max(peaks) if peaks else None,
        rss_before_mb=runs[0].rss_before_mb,
        load_before=runs[0].load_before,
        load_after=runs[-1].load_after,
        runs=[run.seconds for run in runs],
    )


def scale_baseline(baseline: Measurement, rows: int, sample: int, *, fixed_seconds: float = 0.0) -> Measurement:
    """A per-row baseline measured on ``sample`` of ``rows`` rows, scaled to all of them.

    Its time beyond ``fixed_seconds`` (what does not grow with the rows, a download say) and its
    queries are multiplied by ``rows / sample``; unchanged when the sample was every row.
    """
    if sample >= rows:
        return baseline
    factor = rows / sample
    return Measurement(
        seconds=fixed_seconds + (baseline.seconds - fixed_seconds) * factor,
        queries=round(baseline.queries * factor),
        result=baseline.result,
        load_before=baseline.load_before,
        load_after=baseline.load_after,
    )


def add_repeat_argument(parser) -> None:
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the measured operation N times; report the minimum and median (1)"
    )
