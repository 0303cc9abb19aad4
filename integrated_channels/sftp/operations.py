"""The SFTP connector's operations, as the registry declares them (decision 0173): their codes (the
kinds of their runs) and the runners the framework calls, on demand or on schedule."""

from __future__ import annotations

import datetime

from django.utils import timezone

USER_IMPORT = "user_import"  # decision 0063
FILE_EXPORT = "file_export"  # learner transcripts, decision 0064
SKILLS_EXPORT = "skills_export"  # skill achievements, decision 0080
XAPI_EXPORT = "xapi_export"  # the xAPI statements the platform holds, decision 0232
EXPORT_DAYS = 30  # an export without a start date covers the last 30 days


def export_range(
    start_date: datetime.date | None, end_date: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The days an export covers: ``start_date`` (default: 30 days before the end) to ``end_date`` (today)."""
    date_to = end_date or timezone.localdate()
    return start_date or (date_to - datetime.timedelta(days=EXPORT_DAYS)), date_to


def _day(start_date: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(start_date) if start_date else None


def import_users(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.sftp.services.user_import import import_users

    return import_users(configuration=configuration, trigger=trigger, api_user=api_user, run=run).run


def export_transcripts(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.sftp.services.export import export_transcripts

    date_from, date_to = export_range(_day(start_date))
    return export_transcripts(
        configuration=configuration, date_from=date_from, date_to=date_to, trigger=trigger, api_user=api_user, run=run
    ).run


def export_skills(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.sftp.services.skills_export import export_skill_achievements

    date_from, date_to = export_range(_day(start_date))
    return export_skill_achievements(
        configuration=configuration, date_from=date_from, date_to=date_to, trigger=trigger, api_user=api_user, run=run
    ).run


def export_xapi(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.sftp.services.xapi_export import export_xapi_activity

    date_from, date_to = export_range(_day(start_date))
    return export_xapi_activity(
        configuration=configuration, date_from=date_from, date_to=date_to, trigger=trigger, api_user=api_user, run=run
    ).run
