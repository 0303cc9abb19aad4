"""What a process of the host holds before it does any work: ``python -m benchmarks startup``.

Loads the process as production does, stage by stage, and prints the resident memory after each
(after a full collection and glibc's ``malloc_trim``, so it is what the stage keeps, not what it
passed through): the interpreter with this package; ``django.setup()`` (the settings, every app's
models and admin); the URLconf (the views, DRF, the API docs' views), as a web process has it after its
first request; Django's system checks, which ``manage.py`` commands run before they start and a Celery
worker when it starts. Every process that links learners, transmits or imports has all four, so
it is the floor under every ``peak_rss_mb=`` (the bulk_link benchmark loads the same, decision 0541).

It also says which of the libraries that only some requests or runs need (``LAZY``: SCIM's
scim2-models and pydantic, SAML's python3-saml and xmlsec, zeep, PyJWT and cryptography) were
loaded anyway: none since decision 0575 (``lazy_loaded=none``; tests/test_benchmark_startup.py
keeps it so). No database is used (the checks run without ``--database``). Reported:
``python_mb``, ``setup_mb``, ``urlconf_mb``, ``checks_mb`` (the resident memory after each
stage), ``modules`` (how many are imported at the end) and ``lazy_loaded``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys

#: Imported when a request or a run first needs them, never by a process's start (decision 0575).
LAZY = ("scim2_models", "pydantic", "onelogin", "xmlsec", "zeep", "jwt", "cryptography")


def resident_mb() -> float:
    """This process's resident memory in MB once the garbage is collected and the free heap given back."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError, TypeError):  # not glibc: nothing to trim
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def stages() -> list[tuple[str, float, int]]:
    """``(stage, resident MB after it, modules imported)`` for each stage of a production start."""
    from benchmarks.harness import configure_django

    measured = [("python", resident_mb(), len(sys.modules))]
    configure_django()
    measured.append(("setup", resident_mb(), len(sys.modules)))
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loads the URLconf, as the first request does)
    measured.append(("urlconf", resident_mb(), len(sys.modules)))
    from django.core.checks import run_checks

    run_checks()
    measured.append(("checks", resident_mb(), len(sys.modules)))
    return measured


def lazy_loaded() -> list[str]:
    return [name for name in LAZY if name in sys.modules]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks startup", description=__doc__)
    parser.parse_args(argv)
    with open("/proc/loadavg") as loadavg:
        load_before = loadavg.read().split()[0]
    measured = stages()
    loaded = lazy_loaded()
    with open("/proc/loadavg") as loadavg:
        load_after = loadavg.read().split()[0]
    previous = 0.0
    for stage, mb, modules in measured:
        print(f"{stage:8s}  {mb:6.1f} MB  (+{mb - previous:5.1f})  {modules} modules")
        previous = mb
    print(f"lazy libraries loaded: {', '.join(loaded) or 'none'}")
    values = {
        "name": "startup",
        **{f"{stage}_mb": f"{mb:.1f}" for stage, mb, _ in measured},
        "modules": measured[-1][2],
        "lazy_loaded": ",".join(loaded) or "none",
        "load_before": load_before,
        "load_after": load_after,
    }
    print(" ".join(f"{key}={value}" for key, value in values.items()))
    return 0
