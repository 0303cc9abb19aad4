"""The Microsoft Teams client: a client-credentials token, then the Microsoft Graph v1.0 calls sessions need.

The token comes from the Microsoft identity platform's v2.0 endpoint
(``{login}/{tenant}/oauth2/v2.0/token``, ``grant_type=client_credentials``, the client id and
secret in the form body, ``scope=https://graph.microsoft.com/.default``) through the framework's
token store (kept encrypted, shared by runs and workers, replaced once on 401); retries honouring
Retry-After, the address guard, timeouts and secret redaction come from ``HttpTransport``.

Online meetings live under their organizer: ``/users/{organizer}/onlineMeetings`` (create: POST,
change: PATCH, read: GET), their attendance under ``…/{meeting}/attendanceReports`` (one report
per time the meeting was held, generated after it ends) and
``…/attendanceReports/{report}/attendanceRecords`` (one record per attendee, with the intervals
they attended), both paged by ``@odata.nextLink``; recordings under ``…/{meeting}/recordings``.
Graph's errors are ``{"error": {"code", "message"}}``. A 404 about a meeting is ``MeetingDeleted``
unless its code says the organizer is unknown (a wrong connection, not a deleted meeting); a 403
saying no application access policy allows the app is a configuration error (decision 0360).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

from integrated_channels.classroom.exceptions import MeetingDeleted
from integrated_channels.classroom.services.attendance import Participant
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    ChannelConfigurationError,
    MalformedResponse,
    RemoteAPIError,
)
from integrated_channels.integrated_channel.transports.graph import MicrosoftGraphTransport

#: The application permissions the app registration needs (admin consent), and what each is for.
PERMISSIONS = {
    "OnlineMeetings.ReadWrite.All": "create and update the sessions' online meetings",
    "OnlineMeetingArtifact.Read.All": "read the attendance reports and their records",
    "OnlineMeetingRecording.Read.All": "read the recordings (optional: without it no recording link)",
}
#: Error codes of a 404 that is about the organizer, not the meeting.
ORGANIZER_UNKNOWN = frozenset({"UserNotFound", "ErrorInvalidUser", "Request_ResourceNotFound", "ResourceNotFound"})
MAX_PAGES = 10_000  # a guard against a nextLink that never ends


def graph_time(value: datetime.datetime) -> str:
    """An aware datetime as Graph's ``Edm.DateTimeOffset`` in UTC, e.g. ``2027-03-01T09:00:00Z``."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_graph_time(text: str | None) -> datetime.datetime | None:
    """Graph's timestamps (``2027-03-01T09:00:00.1234567Z``: up to seven decimals) as aware datetimes."""
    if not text:
        return None
    head, _dot, fraction = text.rstrip("Z").partition(".")
    try:
        moment = datetime.datetime.fromisoformat(head)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    digits = "".join(ch for ch in fraction if ch.isdigit())[:6]
    return moment + datetime.timedelta(microseconds=int(digits.ljust(6, "0"))) if digits else moment


class TeamsClient(MicrosoftGraphTransport):
    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.graph_url), self.configuration.tenant_id

    @classmethod
    def graph_code(cls, error: RemoteAPIError) -> str:
        return cls.error_code(getattr(error, "response", None))

    # Addresses

    def meetings_path(self) -> str:
        return f"/users/{quote(self.configuration.organizer_id.strip(), safe='')}/onlineMeetings"

    def _checked_link(self, link: str) -> str:
        """A nextLink must stay on the connection's Graph host: its token is sent there."""
        if urlsplit(link).netloc != self.host_of(self.configuration.graph_url):
            raise MalformedResponse(f"{self.name} gave a next page on another host: {urlsplit(link).netloc}.")
        return link

    def _call(self, method: str, path_or_link: str, **kwargs):
        url = path_or_link if "://" in path_or_link else self.url(path_or_link)
        try:
            return self.authorized_request(method, url, **kwargs)
        except AuthenticationFailed as error:
            if error.status_code == 403 and "application access policy" in (error.remote_message or "").lower():
                raise ChannelConfigurationError(
                    f"{self.name} refused: no application access policy lets this app act for the organizer "
                    f"{self.configuration.organizer_id} (see the connector's getting started). {error.remote_message}"
                ) from error
            raise

    def _about_meeting(self, meeting_id: str, error: RemoteAPIError):
        """The error for a 404 on a meeting's address: the meeting is gone, or the organizer is unknown."""
        if self.graph_code(error) in ORGANIZER_UNKNOWN:
            return ChannelConfigurationError(
                f"{self.name} knows no user {self.configuration.organizer_id} (the organizer): {error.remote_message}"
            )
        return MeetingDeleted(f"Teams has no online meeting {meeting_id} any more.", code="meeting_deleted", status=404)

    def _pages(self, path: str, *, what: str) -> Iterator[dict]:
        link = path
        for _page in range(MAX_PAGES):
            response = self._call("GET", link)
            body = self.parse_json(response, what=what)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise MalformedResponse(f"{self.name} answered {what} without a list of values.")
            yield from body["value"]
            link = body.get("@odata.nextLink") or ""
            if not link:
                return
            link = self._checked_link(link)
        raise MalformedResponse(f"{self.name} gave more than {MAX_PAGES} pages of {what}.")

    # Meetings

    def meeting_body(self, *, subject: str, start: datetime.datetime, end: datetime.datetime) -> dict:
        config = self.configuration
        return {
            "subject": subject[:255],
            "startDateTime": graph_time(start),
            "endDateTime": graph_time(end),
            "lobbyBypassSettings": {
                "scope": config.lobby_bypass,
                "isDialInBypassEnabled": config.dial_in_bypasses_lobby,
            },
            "allowedPresenters": config.allowed_presenters,
        }

    def create_meeting(self, *, subject: str, start: datetime.datetime, end: datetime.datetime) -> dict:
        body = self.meeting_body(subject=subject, start=start, end=end)
        try:
            response = self._call("POST", self.meetings_path(), json=body)
        except RemoteAPIError as error:
            if error.status_code == 404 and self.graph_code(error) in ORGANIZER_UNKNOWN:
                raise self._about_meeting("(new)", error) from error
            raise
        meeting = self.parse_json(response, what="the new online meeting")
        if not isinstance(meeting, dict) or not meeting.get("id") or not meeting.get("joinWebUrl"):
            raise MalformedResponse(f"{self.name} answered the new online meeting without its id and joinWebUrl.")
        return meeting

    def update_meeting(self, meeting_id: str, *, subject: str, start: datetime.datetime, end: datetime.datetime):
        body = self.meeting_body(subject=subject, start=start, end=end)
        try:
            response = self._call("PATCH", f"{self.meetings_path()}/{quote(meeting_id, safe='')}", json=body)
        except RemoteAPIError as error:
            if error.status_code == 404:
                raise self._about_meeting(meeting_id, error) from error
            raise
        return self.parse_json(response, what="the updated online meeting")

    def get_meeting(self, meeting_id: str) -> dict:
        try:
            response = self._call("GET", f"{self.meetings_path()}/{quote(meeting_id, safe='')}")
        except RemoteAPIError as error:
            if error.status_code == 404:
                raise self._about_meeting(meeting_id, error) from error
            raise
        return self.parse_json(response, what="the online meeting")

    def check_access(self) -> None:
        """A call only the application access policy allows: list the organizer's meetings by a join link.

        Graph lists online meetings only filtered (``$filter=JoinWebUrl eq '…'``); an address no meeting
        has answers an empty list (or 404), a missing policy 403.
        """
        params = {"$filter": "JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/connection-test'"}
        try:
            self._call("GET", self.meetings_path(), params=params)
        except RemoteAPIError as error:
            if error.status_code == 404 and self.graph_code(error) in ORGANIZER_UNKNOWN:
                raise self._about_meeting("", error) from error
            if error.status_code != 404:
                raise

    # Attendance and recordings

    def attendance_reports(self, meeting_id: str) -> list[dict]:
        path = f"{self.meetings_path()}/{quote(meeting_id, safe='')}/attendanceReports"
        try:
            return list(self._pages(path, what="the attendance reports"))
        except RemoteAPIError as error:
            if error.status_code == 404:
                raise self._about_meeting(meeting_id, error) from error
            raise

    def attendance(self, meeting_id: str, report_id: str) -> Iterator[Participant]:
        """One ``Participant`` per interval an attendee was in the meeting (their total when Graph lists none)."""
        path = (
            f"{self.meetings_path()}/{quote(meeting_id, safe='')}/attendanceReports/"
            f"{quote(report_id, safe='')}/attendanceRecords"
        )
        for record in self._pages(path, what="the attendance records"):
            email = record.get("emailAddress") or ""
            name = ((record.get("identity") or {}).get("displayName")) or ""
            intervals = record.get("attendanceIntervals") or []
            if intervals:
                for interval in intervals:
                    yield Participant(email=email, name=name, seconds=int(interval.get("durationInSeconds") or 0))
            else:
                yield Participant(email=email, name=name, seconds=int(record.get("totalAttendanceInSeconds") or 0))

    def recording_url(self, meeting_id: str) -> str:
        """The content address of the meeting's latest recording, or "" while it has none."""
        path = f"{self.meetings_path()}/{quote(meeting_id, safe='')}/recordings"
        try:
            recordings = list(self._pages(path, what="the recordings"))
        except RemoteAPIError as error:
            if error.status_code == 404 and self.graph_code(error) not in ORGANIZER_UNKNOWN:
                return ""
            raise
        found = [r for r in recordings if r.get("recordingContentUrl")]
        if not found:
            return ""
        latest = max(found, key=lambda r: r.get("endDateTime") or r.get("createdDateTime") or "")
        return latest["recordingContentUrl"]
