"""The wheel holds the three apps with their migrations, and nothing of the host, tests or benchmarks.

The wheel is built once per test process (a few seconds) from a copy of the source tree, so the
build writes no ``build/`` or ``*.egg-info`` into the working tree and cannot pick stale files
from them.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("enterprise", "consent", "integrated_channels")
NOT_SHIPPED = ("standalone/", "tests/", "benchmarks/", "templates/", "docs/", "manage.py")
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".tox",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "var",
    "*.sqlite3*",
)


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    source = tmp_path_factory.mktemp("source") / "project"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    out = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("enterprise_learners-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def source_files(pattern: str) -> list[str]:
    return sorted(
        path.relative_to(ROOT).as_posix()
        for app in APPS
        for path in (ROOT / app).glob(pattern)
        if "__pycache__" not in path.parts
    )


def test_wheel_contains_every_package_of_the_apps(wheel_names):
    packages = source_files("**/__init__.py")
    assert {"enterprise/__init__.py", "consent/__init__.py", "integrated_channels/__init__.py"} <= set(packages)
    assert "integrated_channels/integrated_channel/__init__.py" in packages
    missing = set(packages) - set(wheel_names)
    assert not missing, f"packages missing from the wheel: {sorted(missing)}"


def test_wheel_contains_every_migration(wheel_names):
    migrations = source_files("**/migrations/*.py")
    assert "enterprise/migrations/0001_initial.py" in migrations
    assert "consent/migrations/0001_initial.py" in migrations
    missing = set(migrations) - set(wheel_names)
    assert not missing, f"migrations missing from the wheel: {sorted(missing)}"


def test_wheel_contains_the_management_commands(wheel_names):
    assert "enterprise/management/commands/seed_demo.py" in wheel_names


def test_wheel_ships_no_host_tests_or_benchmarks(wheel_names):
    shipped = sorted(name for name in wheel_names if name.startswith(NOT_SHIPPED))
    assert not shipped, f"not for the wheel: {shipped}"
    top_level = {name.split("/", 1)[0] for name in wheel_names if "/" in name and ".dist-info/" not in name}
    assert top_level == set(APPS)
