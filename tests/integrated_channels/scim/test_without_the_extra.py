"""Without scim2-models (the ``scim`` extra) the host loads, /scim/v2/ answers 503 and the check names the extra."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_host_loads_and_says_what_to_install():
    script = (
        "import sys\n"
        "sys.modules['scim2_models'] = None\n"
        "import django\n"
        "django.setup()\n"
        "from django.core.checks import run_checks\n"
        "from django.test import Client\n"
        "errors = [e for e in run_checks() if e.id == 'scim.E001']\n"
        "print(errors[0].hint)\n"
        "response = Client().get('/scim/v2/Users', HTTP_HOST='localhost')\n"
        "print(response.status_code, response.json()['status'])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    hint, answer = done.stdout.strip().splitlines()[-2:]
    assert hint == "pip install 'enterprise-learners[scim]'"
    assert answer == "503 503"
