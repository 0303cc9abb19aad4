"""A separate process of the concurrency tests: ``python -m tests.reliability.worker KIND START ...``.

It sets Django up (DATABASE_URL names the test database), waits until the file START exists (so
that all workers begin together), does one thing and prints its outcome as one JSON line.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time


def _wait(start_file: str) -> None:
    deadline = time.monotonic() + 120
    while not os.path.exists(start_file):
        if time.monotonic() > deadline:
            raise SystemExit("never started")
        time.sleep(0.005)


def link(customer_uuid: str, token: str, csv_path: str) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with open(csv_path, "rb") as file:
        upload = SimpleUploadedFile("learners.csv", file.read(), content_type="text/csv")
    try:
        response = client.post(
            f"/enterprise/api/v1/customers/{customer_uuid}/learners/link/", {"file": upload, "dry_run": "false"}
        )
    except Exception as exc:  # the test client re-raises what would have been a 500
        return {"status": 500, "error": f"{type(exc).__name__}: {exc}"}
    return {"status": response.status_code, "body": response.json()}


def transmit(channel: str) -> dict:
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command("transmit_learner_data", api_user="staff", channel=[channel], stdout=out, stderr=out)
        code = 0
    except CommandError as exc:
        out.write(str(exc))
        code = 1
    return {"status": code, "output": out.getvalue()}


def main(argv: list[str]) -> None:
    import django

    kind, start_file, *args = argv
    django.setup()
    from django.db import connection

    connection.ensure_connection()  # connect before the start: the race is in the work, not the setup
    _wait(start_file)
    outcome = {"link": link, "transmit": transmit}[kind](*args)
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1:])
