"""Test connection of the xAPI connectors: the LRS (its about resource, then an authenticated read of
one statement) and the statement import (log in to the SFTP server, read the header of the file)."""

from __future__ import annotations

import posixpath

from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.integrated_channel.transports import drop
from integrated_channels.sftp.connection_test import columns_of
from integrated_channels.xapi.client import XAPIClient


def about_url(endpoint: str) -> str:
    """The LRS's about resource, next to its statements resource (xAPI 1.0.3, part three, 2.1)."""
    base = endpoint.rstrip("/")
    if base.endswith("/statements"):
        base = base[: -len("/statements")]
    return base + "/about"


def test_lrs(configuration) -> ConnectionTest:
    headers = {"X-Experience-API-Version": configuration.version}
    with XAPIClient(configuration) as client:
        versions: list[str] = []
        try:
            about = client.parse_json(
                client.request("GET", about_url(configuration.endpoint), headers=headers), what="about"
            )
            versions = [str(version) for version in (about.get("version") or [])] if isinstance(about, dict) else []
        except TransmissionError:
            pass  # about is optional in practice; the authenticated read below decides
        try:
            client.request(
                "GET",
                configuration.endpoint,
                params={"limit": 1},
                auth=(configuration.key, configuration.secret),
                headers=headers,
            )
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    supported = configuration.version in versions if versions else True
    message = f"The LRS at {configuration.endpoint} accepted the key and secret."
    if not supported:
        message += f" It does not list xAPI {configuration.version} among its versions."
    return ConnectionTest(ok=supported, message=message, found=versions, found_label="xAPI versions")


def test_import(configuration) -> ConnectionTest:
    path = configuration.remote_path()
    where = drop.where(configuration)
    try:
        peek = drop.peek_directory(configuration, posixpath.dirname(path) or ".")
        content = drop.read_file(configuration, path) if peek.exists else None
    except drop.DropError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    if content is None:
        return ConnectionTest(ok=True, message=f"Logged in to {where}; there is no file {path} yet.")
    header = content[:65536].decode("utf-8-sig", errors="replace").splitlines()[:1]
    return ConnectionTest(
        ok=True,
        message=f"Logged in to {where}; read {path}.",
        found=columns_of(header[0] if header else ""),
        found_label="columns of the file",
    )


test_lrs.__test__ = False
test_import.__test__ = False
