"""What the tests of the classroom connectors (Zoom, Teams, Adobe Connect) share."""

import datetime
from decimal import Decimal

from django.utils import timezone

from integrated_channels.classroom.models import Session


def session_on(
    connection, *, course_id: str, title: str, time_zone: str, ended=False, room_id="", hours_ago=2, **values
) -> Session:
    """A one-hour session of ``connection``: tomorrow, or ended (started ``hours_ago`` hours ago)."""
    now = timezone.now().replace(microsecond=0)
    start = now - datetime.timedelta(hours=hours_ago) if ended else now + datetime.timedelta(days=1)
    values.setdefault("min_attendance_percent", Decimal(75))
    return Session.objects.create(
        customer=connection.customer,
        course_id=course_id,
        title=title,
        start=start,
        end=start + datetime.timedelta(hours=1),
        time_zone=time_zone,
        connection=connection,
        room_id=room_id,
        **values,
    )
