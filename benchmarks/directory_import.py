"""Directory and HR imports: ``python -m benchmarks directory_import --source scim [--rows N]``.

``--source scim``: SCIM creates pushed one after the other to /scim/v2/Users (``_scim_creates``).
"""

from __future__ import annotations

import importlib

SOURCES = {"scim": "benchmarks._scim_creates"}


def main(argv: list[str]) -> int:
    source = None
    rest = list(argv)
    if "--source" in rest:
        index = rest.index("--source")
        source = rest[index + 1] if index + 1 < len(rest) else None
        del rest[index : index + 2]
    if source not in SOURCES:
        print(f"usage: python -m benchmarks directory_import --source {{{','.join(sorted(SOURCES))}}} [options]")
        return 2
    return importlib.import_module(SOURCES[source]).main(rest)
