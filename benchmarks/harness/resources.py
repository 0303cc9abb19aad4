"""What an operation costs the machine: this process's resident memory (the peak during the operation,
through ``/proc/self/clear_refs`` and ``VmHWM``; the whole process's) and CPU seconds (this process and
its PostgreSQL backend, from ``/proc/<pid>/stat``)."""

from __future__ import annotations

import os
import re
import resource
import time


def database_cpu_seconds() -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend of the default connection has used so far; None
    elsewhere (SQLite runs in this process, so its time is in ``time.process_time()``) or when the server's
    process cannot be read (another host). The difference around an operation is the database's share of
    it, which the process's own CPU time leaves out."""
    fields = _backend_stat()
    return None if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def ended_backends_cpu_seconds() -> float | None:
    """CPU seconds of the PostgreSQL server's processes that have ended so far: the children its postmaster
    (the parent of the default connection's backend) has reaped, ``cutime + cstime``. The difference around
    an operation is the CPU of the other connections it opened and closed (a bulk link's look-up connection,
    decision 0585), after ``other_backends_ended``; an autovacuum worker that ended meanwhile counts too.
    None where ``database_cpu_seconds`` is."""
    fields = _backend_stat()
    if fields is None:
        return None
    postmaster = _proc_stat(int(fields[1]))
    return None if postmaster is None else (int(postmaster[13]) + int(postmaster[14])) / os.sysconf("SC_CLK_TCK")


def other_backends_ended(timeout: float = 2.0) -> None:
    """Wait (up to ``timeout`` seconds) until no other client backend of this database runs, then a moment
    for the server to reap them, so that ``ended_backends_cpu_seconds`` has counted them."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if not cursor.fetchone()[0]:
                break
            time.sleep(0.01)
    time.sleep(0.05)


def _backend_stat() -> list[str] | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    # the driver's own record of the backend (from the connection's start): no query, so a reading inside
    # a measured run adds none to its count
    return _proc_stat(connection.connection.info.backend_pid)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command's name (``[0]`` the state, ``[1]`` the parent);
    None when it cannot be read (the server on another host)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field_name: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            found = re.search(rf"^{field_name}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


_earlier_peak_mb = 0.0  # the high-water marks reset so far (the process peak is their maximum)


def process_peak_rss_mb() -> float:
    """Peak resident memory of the whole process, across the resets of ``reset_peak_rss``."""
    return max(_earlier_peak_mb, peak_rss_mb(), _status_mb("VmHWM") or 0.0)


def reset_peak_rss() -> bool:
    """Reset this process's resident-memory high-water mark (Linux ≥ 4.0); False where that is not possible."""
    global _earlier_peak_mb
    _earlier_peak_mb = process_peak_rss_mb()
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def operation_peak_rss_mb() -> float:
    """The high-water mark since the last ``reset_peak_rss`` (``VmHWM``), else the process peak."""
    value = _status_mb("VmHWM")
    return value if value is not None else peak_rss_mb()


def cpu_seconds() -> tuple[float, float] | None:
    """CPU time used so far by this process and by its PostgreSQL backend (same machine, Linux); None elsewhere."""
    database = database_cpu_seconds()
    return None if database is None else (time.process_time(), database)
