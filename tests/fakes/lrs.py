"""A real LRS on 127.0.0.1: ralph-malph's API with its file-system backend, in a subprocess.

Not a fake: ralph is an open-source Learning Record Store. It is installed by ``make test`` in
its own virtualenv (``.venv/ralph``, from requirements/lrs.txt) because its pins differ from the
project's; ``RALPH_PYTHON`` may name another interpreter that has it. Each instance gets its own
temporary folder (auth file, statements), a free port and one Basic-auth user.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}

# `ralph runserver` is uvicorn with a file-watching reloader; this serves the same app without it.
# ralph's file-system backend writes its statements file in "create" mode, so every POST after
# the first fails (HTTP 500, "already exists"); its "append" mode, which the same backend class
# offers, keeps one file that each POST extends. Nothing else of ralph is changed.
SERVE = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""


def ralph_python() -> str | None:
    """The interpreter that has ralph installed, or None."""
    candidates = [os.environ.get("RALPH_PYTHON"), str(ROOT / ".venv" / "ralph" / "bin" / "python")]
    candidates.append(str(Path(sys.prefix) / "ralph" / "bin" / "python"))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RalphLRS:
    def __init__(self, root: Path, *, python: str, key: str = "lrs-key", secret: str = "lrs-secret-value"):  # noqa: S107
        self.root = Path(root)
        self.python = python
        self.key = key
        self.secret = secret
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def statements_url(self) -> str:
        return f"{self.base_url}/xAPI/statements"

    def _env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("RALPH_")}
        env.update(
            RALPH_APP_DIR=str(self.root / "app"),
            RALPH_AUTH_FILE=str(self.root / "auth.json"),
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(self.root / "statements"),
        )
        return env

    def __enter__(self) -> RalphLRS:
        (self.root / "statements").mkdir(parents=True, exist_ok=True)
        env = self._env()
        ralph = [self.python, "-m", "ralph"]
        subprocess.run(
            [*ralph, "auth", "-u", self.key, "-p", self.secret, "-s", "all", "-M", "mailto:lrs@example.com", "-w"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.log = open(self.root / "ralph.log", "wb")
        self.process = subprocess.Popen(
            [self.python, "-c", SERVE, str(self.port)],
            env=env,
            cwd=self.root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ralph exited: {(self.root / 'ralph.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{self.base_url}/__heartbeat__", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("ralph did not start within 60 s")

    def __exit__(self, *exc_info):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def statements(self, **params) -> list[dict]:
        """Every statement the LRS stored (GET /statements, following ``more``)."""
        found, url = [], self.statements_url
        params = {"limit": 500, **params}
        while url:
            response = requests.get(
                url, params=params, auth=(self.key, self.secret), headers=VERSION_HEADER, timeout=10
            )
            response.raise_for_status()
            body = response.json()
            found += body["statements"]
            more = body.get("more")
            url, params = (self.base_url + more if more else ""), None
        return found
