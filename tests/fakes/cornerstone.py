"""A fake Cornerstone portal on 127.0.0.1: the completion API under each learner's callback path.

``POST {callback}{completion path}?sessionToken=…`` with HTTP Basic (the provider's key and
secret) and a JSON array of completions ``{courseId, userGuid, status, completionDate,
successStatus?, score?}``. The session token must be one the portal gave for that callback and
that learner (``start_session``), not expired (``expire_session``): 401 otherwise. A wrong key or
secret is 401 too, like Cornerstone. Bad shapes are 400 ``{"message"}``.
"""

from __future__ import annotations

import base64
import datetime
import secrets
from dataclasses import dataclass, field

from tests.fakes.vendor import Refused, VendorFake

COMPLETION_PATH = "/services/x/content-online-content-api/v1/completions"
REQUIRED = {"courseId", "userGuid", "status", "completionDate"}
OPTIONAL = {"successStatus", "score"}


@dataclass
class Portal:
    key: str
    secret: str
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (callback, user guid)
    completions: list[dict] = field(default_factory=list)


class FakeCornerstone(VendorFake):
    name = "cornerstone"
    routes = (("POST", r"(?P<callback>/.+)" + COMPLETION_PATH.replace(".", r"\."), "_completion", "completion"),)

    def __init__(self):
        self.portal: Portal | None = None
        super().__init__()

    def setup(self, key: str, secret: str) -> Portal:
        self.portal = Portal(key, secret)
        return self.portal

    def start_session(self, callback: str, user_guid: str) -> str:
        token = secrets.token_urlsafe(16)
        self.portal.sessions[token] = (callback, user_guid)
        return token

    def expire_session(self, token: str) -> None:
        self.portal.sessions.pop(token, None)

    def _completion(self, request):
        header = request.headers.get("Authorization") or ""
        try:
            key, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            key, secret = "", ""
        if (
            not header.startswith("Basic ")
            or key != self.portal.key
            or not secrets.compare_digest(secret, self.portal.secret)
        ):
            raise Refused(401, {"message": "Invalid provider credentials"})
        token = request.query.get("sessionToken", [""])[-1]
        session = self.portal.sessions.get(token)
        if session is None or session[0] != request.match["callback"]:
            raise Refused(401, {"message": "Session token is invalid or expired"})
        if request.content_type != "application/json":
            raise Refused(415, {"message": "application/json expected"})
        body = request.json()
        if not isinstance(body, list) or not body:
            raise Refused(400, {"message": "The body must be a non-empty array of completions"})
        for item in body:
            if not isinstance(item, dict) or REQUIRED - set(item) or set(item) - REQUIRED - OPTIONAL:
                raise Refused(400, {"message": f"Completion fields are {sorted(REQUIRED)} (+ {sorted(OPTIONAL)})"})
            if item["userGuid"] != session[1]:
                raise Refused(401, {"message": "The session token belongs to another user"})
            if item["status"] not in ("Completed", "In Progress", "Not Started"):
                raise Refused(400, {"message": "Unknown status"})
            if item.get("successStatus", "Pass") not in ("Pass", "Fail", "Unknown"):
                raise Refused(400, {"message": "Unknown successStatus"})
            try:
                datetime.datetime.fromisoformat(item["completionDate"].replace("Z", "+00:00"))
            except (AttributeError, ValueError):
                raise Refused(400, {"message": "completionDate must be ISO 8601"}) from None
        with self.lock:
            self.portal.completions.extend(body)
        return {"status": "OK", "count": len(body)}
