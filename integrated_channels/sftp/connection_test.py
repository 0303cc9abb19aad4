"""Test connection of an SFTP connection: log in (host key pinned), list the import folder, read the
header of the newest user file — its columns are what the mapping can choose from: they are kept on
the connection (``source_columns``) and fill the mapping screen's drop-downs, as a sample file's do."""

from __future__ import annotations

import csv
import io

from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.integrated_channel.transports import drop as client
from integrated_channels.sftp import layout
from integrated_channels.sftp.models import USER_IMPORT_DIR, SFTPConfiguration


def columns_of(header: str) -> list[str]:
    return [name.strip() for name in next(csv.reader(io.StringIO(header)), []) if name.strip()]


def test_connection(configuration) -> ConnectionTest:
    """Log in, create the layout's import and export folders when missing (the seed's Custom FTP), and read
    the header of the newest user file."""
    directory = configuration.remote_path(USER_IMPORT_DIR)
    where = client.where(configuration)
    try:
        created = client.make_folders(configuration, [configuration.remote_path(name) for name in layout.FOLDERS])
        peek = client.peek_directory(configuration, directory)
    except client.DropError as exc:
        return ConnectionTest(ok=False, message=f"Failed: {exc}")
    made = f" Created the folder(s) {', '.join(created)}." if created else ""
    result = _found(configuration, peek, directory, where)
    result.message += made
    return result


def _found(configuration, peek, directory: str, where: str) -> ConnectionTest:
    if not peek.exists:
        return ConnectionTest(
            ok=True,
            message=f"Logged in to {where}; the import folder {directory} does not exist (no file to import).",
        )
    if not peek.newest:
        return ConnectionTest(ok=True, message=f"Logged in to {where}; {directory} holds no CSV file yet.")
    columns = columns_of(peek.header)
    if columns:
        SFTPConfiguration.objects.filter(pk=configuration.pk).update(source_columns=columns)
        configuration.source_columns = columns
    return ConnectionTest(
        ok=True,
        message=(
            f"Logged in to {where}; {directory} holds {len(peek.csv_files)} CSV file(s), the newest {peek.newest}."
        ),
        found=columns,
        found_label="columns of the newest file",
    )


test_connection.__test__ = False  # not a pytest test
