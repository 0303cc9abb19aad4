"""``make demo`` serves and prints the address chosen with DEMO_ADDRESS; the README says how."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*variables: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "demo", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "VENV": str(ROOT / "no-such-venv-for-this-test")},
    )
    return result.stdout


@pytest.mark.parametrize(
    ("variables", "served", "site"),
    [
        ((), "runserver 127.0.0.1:8000", "SITE_URL=http://127.0.0.1:8000 "),
        (("DEMO_ADDRESS=127.0.0.1:8123",), "runserver 127.0.0.1:8123", "SITE_URL=http://127.0.0.1:8123 "),
        (("DEMO_ADDRESS=8124",), "runserver 127.0.0.1:8124", "SITE_URL=http://127.0.0.1:8124 "),
        (
            ("DEMO_ADDRESS=0.0.0.0:8125", "SITE_URL=http://demo.example.com:8125"),
            "runserver 0.0.0.0:8125",
            "SITE_URL=http://demo.example.com:8125 ",
        ),
    ],
)
def test_make_demo_serves_the_address_and_seeds_with_its_url(variables, served, site):
    commands = dry_run(*variables)
    seed = next(line for line in commands.splitlines() if "seed_demo" in line)
    server = next(line for line in commands.splitlines() if "runserver" in line)
    assert served in server and site in server
    assert site in seed  # seed_demo prints the admin URL from SITE_URL


def test_the_readme_says_how_to_choose_the_port():
    readme = (ROOT / "README.rst").read_text()
    assert "make demo DEMO_ADDRESS=127.0.0.1:8080" in readme
