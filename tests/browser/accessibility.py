"""axe-core in the browser tests: ``assert_accessible(page)`` fails on any serious or critical violation.

axe-core comes from PyPI inside ``axe-playwright-python`` (requirements/test.txt), which ships the
engine's ``axe.min.js`` and injects it into the page: nothing is downloaded at run time. The
rules run are axe's WCAG 2.0/2.1 A and AA ones (contrast, labels, names, landmarks...), the
level issue 24 asks for.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def assert_accessible(page, *, where: str = "") -> list[dict]:
    """Run axe on the page as it is; fail with every serious or critical violation. Returns the minor ones."""
    if importlib.util.find_spec("axe_playwright_python") is None:
        reason = "axe-playwright-python is not installed (pip install -r requirements/test.txt)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[node['target'] for node in v['nodes']][:5]}" for v in blocking
    ]
    assert not blocking, f"axe-core on {where or page.url}:\n" + "\n".join(details)
    return [v for v in violations if v.get("impact") not in BLOCKING]
