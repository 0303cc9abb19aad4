"""The wheel holds the three apps with their migrations, and nothing of the host, tests or benchmarks.

The wheel is built once per test process (a few seconds) from a copy of the source tree, so the
build writes no ``build/`` or ``*.egg-info`` into the working tree and cannot pick stale files
from them.
"""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

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


def read_requirement_lines(name: str) -> list[str]:
    lines = (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


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


# Optional dependencies: one extra per connector app


def setup_arguments() -> dict:
    """The arguments setup.py passes to setuptools (setup.py run with ``setup`` captured)."""
    import runpy

    import setuptools

    captured = {}
    original = setuptools.setup
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    try:
        runpy.run_path(str(ROOT / "setup.py"), run_name="not_main")
    finally:
        setuptools.setup = original
    return captured


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()


def test_core_requirements_leave_the_connector_libraries_to_extras():
    core = {requirement_name(line) for line in read_requirement_lines("base.in")}
    pinned = {requirement_name(line) for line in read_requirement_lines("base.txt")}
    for library in ("asyncssh", "zeep"):
        assert library not in core and library not in pinned
    host = {requirement_name(line) for line in read_requirement_lines("standalone.txt") if not line.startswith("-r")}
    assert {"asyncssh", "zeep"} <= host  # make demo / make test run every connector


@pytest.mark.django_db
def test_every_registered_extra_is_an_extra_of_setup_py_bringing_its_modules():
    from importlib.metadata import packages_distributions

    from integrated_channels.integrated_channel.extras import DISTRIBUTION
    from integrated_channels.integrated_channel.registry import registry

    arguments = setup_arguments()
    assert arguments["name"] == DISTRIBUTION
    extras = arguments["extras_require"]
    distributions = packages_distributions()
    declared = [channel for channel in registry.all() if channel.extra]
    assert {"sftp", "learningstudio", "xapi"} <= {channel.extra for channel in declared}
    for channel in declared:
        assert channel.extra in extras, channel.code
        names = {requirement_name(requirement) for requirement in extras[channel.extra]}
        modules = {*channel.extra_modules, *(m for _protocol, found in channel.protocol_modules for m in found)}
        for module in modules:
            assert {name.lower() for name in distributions[module]} & names, (channel.code, module)
            assert names <= {requirement_name(r) for r in extras["all"]}


def test_check_warns_that_sftp_drops_need_the_extra_and_other_protocols_do_not(monkeypatch):
    import sys

    from django.core.checks import run_checks

    monkeypatch.setitem(sys.modules, "asyncssh", None)  # import asyncssh now raises ImportError
    found = [error for error in run_checks() if error.id.startswith("integrated_channels.")]
    assert [error.id for error in found] == ["integrated_channels.W003"] * 4  # no error, no ImportError besides
    hint = "connections cannot be saved or run until you pip install"
    assert sorted(error.msg for error in found) == [
        f"integrated_channels.getabstract is installed but asyncssh is missing: its sftp {hint} "
        "'enterprise-learners[getabstract]'",
        f"integrated_channels.harvard_managementor is installed but asyncssh is missing: its sftp {hint} "
        "'enterprise-learners[harvard_managementor]'",
        f"integrated_channels.sftp is installed but asyncssh is missing: its sftp {hint} 'enterprise-learners[sftp]'",
        f"integrated_channels.xapi is installed but asyncssh is missing: its sftp {hint} 'enterprise-learners[xapi]'",
    ]


def test_check_names_the_extra_every_connection_needs(monkeypatch):
    import sys

    from django.core.checks import run_checks

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    found = [(error.id, error.msg) for error in run_checks() if error.id.startswith("integrated_channels.")]
    assert found == [
        (
            "integrated_channels.E003",
            "integrated_channels.getabstract is installed but openpyxl is missing: "
            "pip install 'enterprise-learners[getabstract]'",
        )
    ]


@pytest.mark.django_db
def test_without_asyncssh_an_sftp_drop_is_refused_on_save_and_an_ftp_drop_is_not(monkeypatch):
    import sys

    from integrated_channels.sftp.models import SFTPConfiguration
    from tests.factories import CustomerFactory

    monkeypatch.setitem(sys.modules, "asyncssh", None)
    common = {"customer": CustomerFactory(), "name": "drop", "host": "files.example.com", "username": "acme"}
    sftp = SFTPConfiguration(**common, protocol="sftp", password="secret-password")
    with pytest.raises(ValidationError) as refused:
        sftp.full_clean()
    assert refused.value.message_dict["protocol"] == [
        "SFTP needs asyncssh, which is not installed: pip install 'enterprise-learners[sftp]'"
    ]
    ftp = SFTPConfiguration(**common, protocol="ftps", password="secret-password")
    ftp.full_clean()


def test_check_is_quiet_when_the_extras_are_installed():
    from django.core.checks import run_checks

    assert [error for error in run_checks() if error.id.startswith("integrated_channels.")] == []


def test_the_apps_load_and_serve_without_any_connector_library():
    """A fresh process with asyncssh and zeep unimportable: settings, URLs, admin and check all load."""
    script = (
        "import sys\n"
        "sys.modules['asyncssh'] = None\n"
        "sys.modules['zeep'] = None\n"
        "import django\n"
        "django.setup()\n"
        "import standalone.urls\n"
        "from django.core.checks import run_checks\n"
        "print(sorted(e.id for e in run_checks() if e.id.startswith('integrated_channels.')))\n"
        "from integrated_channels.integrated_channel.registry import registry\n"
        "print(sum(1 for c in registry.all() if {'asyncssh', 'zeep'} & set(c.extra_modules)))\n"
        "print(sum(1 for c in registry.all() if c.modules_for_protocol('sftp')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "standalone.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    *_, found, needing, sftp_drops = done.stdout.strip().splitlines()
    assert int(needing) >= 1 and int(sftp_drops) >= 4  # learningstudio; sftp, xapi, getabstract, HMM
    # One error per connector missing its extra, one warning per connector whose SFTP drops need asyncssh.
    assert found == str(
        sorted(["integrated_channels.E003"] * int(needing) + ["integrated_channels.W003"] * int(sftp_drops))
    )


def test_the_sftp_transport_says_which_extra_to_install(monkeypatch):
    import sys

    from integrated_channels.integrated_channel.extras import MissingExtra
    from integrated_channels.integrated_channel.transports import sftp

    monkeypatch.setitem(sys.modules, "asyncssh", None)
    sftp._verifying_client_class.cache_clear()
    with pytest.raises(MissingExtra, match=r"pip install 'enterprise-learners\[sftp\]'"):
        sftp._asyncssh()
    sftp._verifying_client_class.cache_clear()


def test_the_checks_find_the_connector_libraries_without_importing_them():
    """``manage.py`` and a Celery worker run the checks: the libraries stay unloaded until a run needs them
    (zeep is still loaded by the check of the clients' operations, E004, which imports the LearningStudio client)."""
    script = (
        "import sys\n"
        "import django\n"
        "django.setup()\n"
        "from django.core.checks import run_checks\n"
        "print(sorted(e.id for e in run_checks() if e.id.startswith('integrated_channels.')))\n"
        "print(sorted(m for m in ('asyncssh', 'openpyxl') if m in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "standalone.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    *_, found, imported = done.stdout.strip().splitlines()
    assert (found, imported) == ("[]", "[]")
