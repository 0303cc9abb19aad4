"""Browser tests: Playwright driving Debian's chromium (``apt-get install chromium``).

They are marked ``browser`` and skipped when ``/usr/bin/chromium`` or the ``playwright`` package is
missing, so ``make test`` passes on a machine without a browser; with ``REQUIRE_BROWSER=1`` (as in
``.ci/run``) a missing browser is an error instead. Never ``playwright install``: it downloads a
browser. Screenshots go to ``var/browser/`` (or ``$BROWSER_ARTIFACTS_DIR``), which git ignores.
"""

import contextlib
import importlib.util
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _missing() -> str:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements/test.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no browser at {CHROMIUM} (apt-get install chromium)"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if not reason or os.environ.get("REQUIRE_BROWSER") == "1":
        return  # required: the browser_page fixture fails with the reason instead
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(os.environ.get("BROWSER_ARTIFACTS_DIR", ROOT / "var" / "browser"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def open_browser():
    """``with open_browser() as page:`` a fresh chromium page (``open_browser(viewport={...})``: another size).

    Playwright runs an event loop in this thread while the browser is open, so Django refuses
    ORM calls there (and they would use a connection of their own): query the database before
    opening the browser or after the ``with`` block; the live server answers in its own threads.
    """
    reason = _missing()
    if reason:
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")

    @contextlib.contextmanager
    def opened(viewport: dict | None = None):
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(15_000)
                yield page
            finally:
                browser.close()

    return opened
