"""Test connection of Moodle: authenticate, then ask the site which functions the service allows."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.moodle.client import MoodleClient

NEEDED = (
    "core_course_create_courses",
    "core_course_update_courses",
    "core_course_get_courses_by_field",
    "core_course_get_contents",
    "core_user_get_users_by_field",
    "core_grades_update_grades",
)


def test_connection(configuration) -> ConnectionTest:
    with MoodleClient(configuration) as client:
        try:
            info = client.ws("core_webservice_get_site_info")
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    allowed = {row.get("name") for row in info.get("functions") or ()} if isinstance(info, dict) else set()
    missing = [name for name in NEEDED if name not in allowed]
    site = info.get("sitename", "") if isinstance(info, dict) else ""
    if missing:
        return ConnectionTest(
            ok=False,
            message=f"Moodle site {site} answered, but the service does not allow: {', '.join(missing)}.",
        )
    return ConnectionTest(ok=True, message=f"Moodle site {site} answered; the service allows every function needed.")


test_connection.__test__ = False
