"""The Zoom client: Server-to-Server OAuth (account_credentials grant) and the REST API v2 calls sessions need.

Tokens come from the framework's one token store (``OAuth2ClientCredentialsTransport``: kept
encrypted, shared by runs and workers, replaced once on 401); retries with Retry-After, the address
guard, timeouts and secret redaction come from ``HttpTransport``. Zoom's errors are
``{"code", "message"}`` bodies: 404 code 3001 is "meeting does not exist", which this client
raises as ``MeetingDeleted`` when asked about the meeting itself and as ``MeetingNotEnded`` when
asked for its participants report (Zoom has none until the meeting ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from integrated_channels.classroom.exceptions import MeetingDeleted, MeetingNotEnded
from integrated_channels.classroom.services.attendance import Participant
from integrated_channels.integrated_channel.exceptions import RemoteAPIError
from integrated_channels.integrated_channel.transports.oauth2 import (
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    owner_of,
)

MEETING_MISSING = 3001
NO_RECORDING = 3301
PAGE_SIZE = 300  # the report API's largest page
SCOPES = ("meeting:write:admin", "meeting:read:admin", "report:read:admin", "recording:read:admin")


class ZoomClient(OAuth2ClientCredentialsTransport):
    name = "Zoom"
    default_retry_after = 1.0  # Zoom's per-second limits: a 429 without Retry-After is over within a second

    def url(self, path: str) -> str:
        return self.configuration.api_url.rstrip("/") + path

    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.api_url), self.configuration.account_id

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            grant_type="account_credentials",
            credentials="basic",
            body="form",
            params={"account_id": config.account_id},
            owner=owner_of(config),
            subject=subject,
        )

    def remote_message(self, response) -> str:
        """Zoom's own words: ``reason`` from the token endpoint, ``message`` (with its code) from the API."""
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        if isinstance(body, dict):
            if body.get("reason"):
                return str(body["reason"])
            if body.get("message"):
                return f"{body['message']} (code {body['code']})" if body.get("code") else str(body["message"])
        return super().remote_message(response)

    @staticmethod
    def zoom_code(error: RemoteAPIError) -> int | None:
        response = getattr(error, "response", None)
        try:
            code = response.json().get("code") if response is not None else None
        except ValueError:
            return None
        return code if isinstance(code, int) else None

    def _call(self, method: str, path: str, **kwargs):
        return self.authorized_request(method, self.url(path), **kwargs)

    # Meetings

    def create_meeting(self, *, topic: str, start_time: str, minutes: int, time_zone: str, registration: bool) -> dict:
        body = {
            "topic": topic[:200],
            "type": 2,
            "start_time": start_time,
            "duration": minutes,
            "timezone": time_zone,
            "settings": {"approval_type": 0 if registration else 2, "waiting_room": False},
        }
        response = self._call("POST", f"/users/{quote(self.configuration.host_user)}/meetings", json=body)
        return self.parse_json(response, what="the new meeting")

    def get_meeting(self, meeting_id: str) -> dict:
        try:
            response = self._call("GET", f"/meetings/{quote(meeting_id)}")
        except RemoteAPIError as error:
            if error.status_code == 404 and self.zoom_code(error) == MEETING_MISSING:
                raise MeetingDeleted(f"Zoom has no meeting {meeting_id} any more.", code="meeting_deleted") from error
            raise
        return self.parse_json(response, what="the meeting")

    def update_meeting(self, meeting_id: str, *, topic: str, start_time: str, minutes: int, time_zone: str) -> None:
        body = {"topic": topic[:200], "start_time": start_time, "duration": minutes, "timezone": time_zone}
        try:
            self._call("PATCH", f"/meetings/{quote(meeting_id)}", json=body)
        except RemoteAPIError as error:
            if error.status_code == 404 and self.zoom_code(error) == MEETING_MISSING:
                raise MeetingDeleted(f"Zoom has no meeting {meeting_id} any more.", code="meeting_deleted") from error
            raise

    def add_registrant(self, meeting_id: str, *, email: str, first_name: str, last_name: str) -> dict:
        body = {"email": email, "first_name": first_name or email.split("@")[0], "last_name": last_name}
        response = self._call("POST", f"/meetings/{quote(meeting_id)}/registrants", json=body)
        return self.parse_json(response, what="the new registrant")

    def recording(self, meeting_id: str) -> tuple[str, str] | None:
        """The cloud recording's share link and passcode, or None while there is none."""
        try:
            response = self._call("GET", f"/meetings/{quote(meeting_id)}/recordings")
        except RemoteAPIError as error:
            if error.status_code == 404 and self.zoom_code(error) in (NO_RECORDING, MEETING_MISSING):
                return None
            raise
        body = self.parse_json(response, what="the meeting's recordings")
        share_url = body.get("share_url") or ""
        return (share_url, body.get("password") or "") if share_url else None

    # Attendance

    def participants(self, meeting_id: str) -> Iterator[Participant]:
        """Every join in the meeting's participants report, following ``next_page_token``."""
        token = ""
        while True:
            params = {"page_size": PAGE_SIZE}
            if token:
                params["next_page_token"] = token
            try:
                response = self._call("GET", f"/report/meetings/{quote(meeting_id)}/participants", params=params)
            except RemoteAPIError as error:
                if error.status_code == 404 and self.zoom_code(error) == MEETING_MISSING:
                    raise MeetingNotEnded(
                        f"Zoom has no participants report for meeting {meeting_id} yet.", code="meeting_not_ended"
                    ) from error
                raise
            page = self.parse_json(response, what="the participants report")
            for row in page.get("participants") or ():
                yield Participant(
                    email=row.get("user_email") or "", name=row.get("name") or "", seconds=int(row.get("duration") or 0)
                )
            token = page.get("next_page_token") or ""
            if not token:
                return
