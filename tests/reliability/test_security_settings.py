"""The secret key (issue 21, item 6): the standalone host refuses to start in production (DEBUG
off) with no key or a known one, and `manage.py check` reports an error whenever stored secrets
would be encrypted with a key derived from a known SECRET_KEY; `make demo` still works."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from enterprise import checks
from enterprise.secret_key import insecure_reason

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "standalone" / "settings.py"
GOOD_KEY = "a-real-production-key-0b5e1c7d9f2a4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4"
KNOWN_KEYS = {
    "unset": None,
    "empty": "",
    "blank": "   ",
    "project's published default": "standalone-insecure-development-key-change-me",
    "Django's development key": "django-insecure-)x8k@3v!q0#9w=+z1m$2n4b6c8d0f2h4j6l8p0r2t4v6",
}


def load_standalone_settings(monkeypatch, **environ) -> dict:
    for name in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_DEVELOPMENT_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


@pytest.mark.parametrize("name", list(KNOWN_KEYS))
def test_production_refuses_to_start_without_a_real_key(monkeypatch, name):
    with pytest.raises(ImproperlyConfigured) as refused:
        load_standalone_settings(monkeypatch, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=KNOWN_KEYS[name])
    assert "DJANGO_SECRET_KEY must be set" in str(refused.value)
    assert ("it is not set" in str(refused.value)) == (KNOWN_KEYS[name] is None)
    assert "DJANGO_DEBUG is off" in str(refused.value)


def test_production_starts_with_a_real_key(monkeypatch):
    values = load_standalone_settings(monkeypatch, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=GOOD_KEY)
    assert (values["DEBUG"], values["SECRET_KEY"]) == (False, GOOD_KEY)


def test_the_demo_gets_its_own_random_key_kept_in_a_file(monkeypatch, tmp_path):
    path = tmp_path / "var" / "development-secret-key"
    first = load_standalone_settings(monkeypatch, DJANGO_DEVELOPMENT_SECRET_KEY_FILE=str(path))
    again = load_standalone_settings(monkeypatch, DJANGO_DEVELOPMENT_SECRET_KEY_FILE=str(path))
    other = load_standalone_settings(monkeypatch, DJANGO_DEVELOPMENT_SECRET_KEY_FILE=str(tmp_path / "other"))
    assert first["DEBUG"] is True
    assert first["SECRET_KEY"] == again["SECRET_KEY"] == path.read_text().strip()
    assert other["SECRET_KEY"] != first["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 50 and insecure_reason(first["SECRET_KEY"]) is None
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no draft left behind


def _manage(tmp_path, *args, **environ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", PYTHONPATH=str(ROOT), **environ)
    env["DJANGO_SETTINGS_MODULE"] = "standalone.settings"
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_manage_py_in_the_demo_and_in_production(tmp_path):
    demo = _manage(tmp_path, "check", DJANGO_DEVELOPMENT_SECRET_KEY_FILE=str(tmp_path / "key"))
    assert demo.returncode == 0, demo.stderr
    refused = _manage(tmp_path, "check", DJANGO_DEBUG="0")
    assert refused.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in refused.stderr
    published = _manage(tmp_path, "check", DJANGO_SECRET_KEY=KNOWN_KEYS["project's published default"])
    assert published.returncode != 0
    assert "enterprise.E003" in published.stderr and "published with this project" in published.stderr


@pytest.mark.parametrize("name", ["project's published default", "Django's development key"])
def test_check_reports_an_encryption_key_derived_from_a_known_secret_key(settings, name):
    settings.SECRET_KEY = KNOWN_KEYS[name]
    settings.ENTERPRISE = {}
    with pytest.raises(SystemCheckError, match=r"enterprise\.E003"):
        call_command("check")  # plain check, not --deploy
    assert [error.id for error in checks.check_encryption_key(None)] == ["enterprise.E003"]


def test_check_is_quiet_with_own_encryption_keys_or_a_real_secret_key(settings):
    settings.SECRET_KEY = KNOWN_KEYS["Django's development key"]
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    assert checks.check_encryption_key(None) == []
    settings.ENTERPRISE = {}
    settings.SECRET_KEY = GOOD_KEY
    assert checks.check_encryption_key(None) == []
    call_command("check")


@pytest.mark.parametrize("name", list(KNOWN_KEYS))
def test_every_known_key_is_insecure(name):
    assert insecure_reason(KNOWN_KEYS[name])
