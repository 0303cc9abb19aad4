"""The folder layout of every file drop (SFTP, FTPS, FTP, Box), as the seed gives it:
``$OPERATION$/$OBJECT_TYPE$/$SUB_OBJECT_TYPE$/data.csv`` under the connection's folder (decision 0231).

======================================  =========================================================
Folder (under the connection's folder)  Operation
======================================  =========================================================
``import/user/internal/*.csv``          Import users: every CSV merged; deleted once committed
``import/xapi/…`` (the import's file)   Import xAPI statements (xAPI statement import's source file)
``import/content/<provider>/*.csv``     Content feeds of content-provider connectors; deleted 7 days
                                        after they were written (``sweep_content``)
``export/learner_transcript_<from>_to_<to>.csv``  Export learner transcripts (``.zip`` when zipped)
``export/skill_achievements_<from>_to_<to>.csv``  Export skill achievements
``export/xapi_activity_<from>_to_<to>.csv``       Export xAPI activity (``.zip`` when zipped)
``export/user/internal/user_import_report_<when>_run_<id>.csv``  The report of each user import
======================================  =========================================================

The seed's ``Home/export/<location>/`` is ``export/`` under the connection's folder: the folder is
the location (``base_path`` on a server, the folder id on Box).
"""

from __future__ import annotations

import datetime
import logging
import posixpath

from django.utils import timezone

logger = logging.getLogger(__name__)

IMPORT = "import"
EXPORT = "export"
USER_IMPORT_DIR = "import/user/internal"
XAPI_IMPORT_DIR = "import/xapi"
CONTENT_IMPORT_DIR = "import/content"
EXPORT_DIR = "export"
USER_REPORT_DIR = "export/user/internal"
CONTENT_RETENTION = datetime.timedelta(days=7)

#: The folders Test connection creates when missing (the seed's Custom FTP: "folders for import and export
#: are created").
FOLDERS = (USER_IMPORT_DIR, XAPI_IMPORT_DIR, CONTENT_IMPORT_DIR, EXPORT_DIR)


def folder(operation: str, object_type: str, sub_object_type: str = "") -> str:
    """``$OPERATION$/$OBJECT_TYPE$/$SUB_OBJECT_TYPE$``: where an operation's files are."""
    return posixpath.join(*(part for part in (operation, object_type, sub_object_type) if part))


def content_dir(provider: str) -> str:
    return folder(IMPORT, "content", provider.lower())


def user_report_name(run, when: datetime.datetime) -> str:
    return f"user_import_report_{timezone.localtime(when):%Y-%m-%d_%H%M%S}_run_{run.pk}.csv"


def sweep_content(configuration, *, now: datetime.datetime | None = None) -> list[str]:
    """Delete the content-feed CSVs older than 7 days under ``import/content/`` (the seed: content CSVs
    are deleted after seven days, user CSVs at once). Returns the paths deleted."""
    from integrated_channels.integrated_channel.transports import drop

    moment = (now or timezone.now()).timestamp() - CONTENT_RETENTION.total_seconds()
    base = configuration.remote_path(CONTENT_IMPORT_DIR)
    old = []
    for directory in drop.list_folders(configuration, base):
        old += [
            path
            for path, modified in drop.list_files(configuration, directory)
            if path.lower().endswith(".csv") and modified is not None and modified < moment
        ]
    if old:
        drop.remove_files(configuration, old)
    return old
