"""A process of the host starts without the libraries that only some requests or runs need (decision 0575):
django.setup(), the URLconf and the system checks, as production loads them, leave SCIM's, SAML's, zeep,
PyJWT and cryptography unimported; the first request or run that needs one imports it."""

import os
import subprocess
import sys
from pathlib import Path

from benchmarks import startup

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "standalone.settings", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180, check=False
    )


def test_the_start_leaves_the_lazy_libraries_unloaded():
    done = _run("import sys\nfrom benchmarks.__main__ import main\nsys.exit(main(['startup']))\n")
    assert done.returncode == 0, done.stderr
    values = dict(pair.split("=", 1) for pair in done.stdout.strip().splitlines()[-1].split())
    assert values["lazy_loaded"] == "none", values
    assert float(values["python_mb"]) < float(values["setup_mb"]) < float(values["urlconf_mb"])


def test_each_lazy_library_is_imported_by_what_needs_it():
    """The other side: the code that needs each library still gets it (and the start list is the same)."""
    script = (
        "import sys\n"
        "from benchmarks import startup\n"
        "startup.stages()\n"
        "assert startup.lazy_loaded() == [], startup.lazy_loaded()\n"
        "from enterprise import encryption\n"
        "assert encryption.decrypt(encryption.encrypt('secret')) == 'secret'\n"
        "from django.test import Client\n"
        "answer = Client().get('/scim/v2/ServiceProviderConfig', HTTP_HOST='localhost')  # no token: 401\n"
        "assert answer.status_code == 401, answer.content\n"
        "import enterprise.sso.services  # what the SAML views import on their first request\n"
        "from enterprise.api.v1.authentication import JwtAuthentication\n"
        "try:\n"
        "    JwtAuthentication().decode('not-a-token')\n"
        "except Exception:\n"
        "    pass\n"
        "from integrated_channels.integrated_channel.transports import soap\n"
        "soap.hardened_settings()\n"
        "print(' '.join(startup.lazy_loaded()))\n"
    )
    done = _run(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == list(startup.LAZY)
