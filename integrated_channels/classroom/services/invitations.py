"""The session e-mail: join link in the text and an iCalendar invitation (RFC 5545, text/calendar).

One VEVENT per session, its UID the session's uuid, its SEQUENCE the session's ``sequence``: a
calendar client updates the event it already has when a later invitation (higher SEQUENCE) comes
with METHOD:REQUEST, and removes it with METHOD:CANCEL.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from integrated_channels.classroom.models import Session

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PRODID = "-//enterprise-learners//virtual classroom//EN"


def invitation(*, session: Session, attendee_email: str, method: str = REQUEST) -> bytes:
    """The .ics of one learner's invitation to ``session`` (REQUEST) or its cancellation (CANCEL)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    zone = zoneinfo.ZoneInfo(session.time_zone)
    event.add("uid", f"{session.uuid}@enterprise-learners")
    event.add("sequence", session.sequence)
    event.add("dtstamp", datetime.datetime.now(tz=datetime.UTC))
    event.add("dtstart", session.start.astimezone(zone))
    event.add("dtend", session.end.astimezone(zone))
    event.add("summary", session.title)
    if session.join_url:
        event.add("url", session.join_url)
        event.add("location", session.join_url)
        event.add("description", f"Join: {session.join_url}")
    event.add("organizer", f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
    attendee.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["RSVP"] = icalendar.vText("FALSE")
    event.add("attendee", attendee, encode=0)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def _message(session: Session, email: str, method: str) -> EmailMultiAlternatives:
    zone = zoneinfo.ZoneInfo(session.time_zone)
    when = f"{session.start.astimezone(zone):%Y-%m-%d %H:%M}-{session.end.astimezone(zone):%H:%M} ({session.time_zone})"
    if method == CANCEL:
        subject = f"Cancelled: {session.title}"
        body = f"The session {session.title} of {when} is cancelled."
    else:
        subject = f"{'Updated: ' if session.sequence else ''}{session.title}, {when}"
        join = f"Join: {session.join_url}" if session.join_url else "The join link follows in an update."
        body = f"You are registered to the session {session.title}, {when}.\n\n{join}\n"
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])
    ics = invitation(session=session, attendee_email=email, method=method)
    message.attach("invite.ics", ics, f"text/calendar; charset=utf-8; method={method}")
    return message


def send_invitations(*, session: Session, emails: Iterable[str], method: str = REQUEST) -> int:
    """Send the session e-mail to each address over one mail connection; returns how many were sent."""
    messages = [_message(session, email, method) for email in emails if email]
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
