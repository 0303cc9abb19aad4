"""Blackboard Learn client: 3-legged OAuth 2 (refresh token) and the Learn public REST API.

- Token: POST ``/learn/api/public/v1/oauth2/token`` with HTTP Basic (application key, secret),
  form ``grant_type=refresh_token&refresh_token=…``. Learn gives a new refresh token with each
  access token and the previous one stops working: the current one is read from the database
  under a row lock and the new one stored in the same transaction (one refresher at a time). A
  refresh token Learn refuses (``invalid_grant``) stops the run asking an administrator to
  authorize again.
- Courses: POST ``/learn/api/public/v3/courses`` (``externalId``, ``courseId``, ``name``,
  ``description``, ``availability``), then the link to the course as a content item (POST
  ``/learn/api/public/v1/courses/{id}/contents``, ``resource/x-bb-externallink``); updates PATCH
  both; a withdrawn course is made unavailable (its gradebook stays). A course Learn already has
  (409) is read by ``externalId:`` and updated.
- Grades: the course's members with their e-mail (``…/courses/{id}/users?expand=user``, paged),
  the final-grade column (``/learn/api/public/v2/courses/{id}/gradebook/columns``, found by
  ``externalId`` or created: 100 points, manual), then PATCH
  ``…/gradebook/columns/{column}/users/{user}`` ``{"score": …}``: one call per completion.
- Assessment-level data (``transmit_subsection_learner_data``): a column per graded subsection
  (``externalId`` derived from the subsection's id, its title as name; created once, found in the
  same listing), the learner's score out of 100 in it.
- Lists are paged: ``{"results": […], "paging": {"nextPage": "/learn/api/…?offset=…"}}``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.db import transaction

from enterprise.transports.oauth2 import IssuedToken, read_token_answer
from integrated_channels.integrated_channel.exceptions import (
    MalformedResponse,
    RemoteRejected,
    TransmissionError,
)
from integrated_channels.integrated_channel.models import RemoteCourse
from integrated_channels.integrated_channel.transports.base import Outcome
from integrated_channels.integrated_channel.transports.lms import AuthorizedLmsClient, refused_refresh_token
from integrated_channels.integrated_channel.transports.oauth2 import (
    TokenRequest,
    TokenRequestFailed,
    owner_of,
)

API = "/learn/api/public"
TOKEN_PATH = f"{API}/v1/oauth2/token"
AUTHORIZE_PATH = f"{API}/v1/oauth2/authorizationcode"
SCOPE = "read write offline"
GRADE_COLUMN_ID = "edx_final_grade"
COLUMN_NAME_LIMIT = 333
MAX_PAGES = 250
REAUTHORIZE = (
    "Blackboard Learn no longer accepts this connection's refresh token: an administrator must authorize the "
    "connection again (Authorize in Blackboard on the connection's page)."
)


class BlackboardClient(AuthorizedLmsClient):
    name = "Blackboard"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self._members: dict[str, dict[str, str]] = {}
        self._columns: dict[str, dict[str, str]] = {}  # Learn course id -> column externalId -> column id

    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.base_url), self.configuration.client_id

    # Authorization

    @staticmethod
    def authorization_url(configuration, *, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "client_id": configuration.client_id,
                "scope": SCOPE,
                "state": state,
            }
        )
        return f"{configuration.base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"

    def _basic(self) -> tuple[str, str]:
        self.add_secret(self.configuration.client_secret)
        return (self.configuration.client_id, self.configuration.client_secret)

    def exchange_code(self, code: str, *, redirect_uri: str) -> str:
        self.add_secret(code)
        response = self.request(
            "POST",
            self.url(TOKEN_PATH),
            # RFC 6749 §4.1.3 form body (Learn reads it as well as its documented query string; the
            # code stays out of URLs and access logs; decision 0423)
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=self._basic(),
        )
        body = self.parse_json(response, what="the authorization code")
        read_token_answer(body)
        return self.read_refresh_token(
            body, missing="Blackboard answered without a refresh token (is the offline scope allowed?)."
        )

    # Tokens

    def token_request(self, subject: str) -> TokenRequest:
        # The refresh token is not part of the request: it changes at every refresh (read in ``fetch_token``).
        config = self.configuration
        return TokenRequest(
            url=self.url(TOKEN_PATH),
            client_id=config.client_id,
            client_secret=config.client_secret,
            grant_type="refresh_token",
            owner=owner_of(config),
            subject=subject,
        )

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        model = type(self.configuration)
        with transaction.atomic():
            row = model.objects.select_for_update().get(pk=self.configuration.pk)
            current = row.refresh_token
            if not current:
                raise TokenRequestFailed(
                    "This Blackboard connection is not authorized yet: an administrator must authorize it "
                    "(Authorize in Blackboard on the connection's page)."
                )
            self.add_secret(current)
            try:
                response = self.request(
                    "POST",
                    request.url,
                    data={"grant_type": "refresh_token", "refresh_token": current},
                    auth=self._basic(),
                )
                body = self.parse_json(response, what="the token request")
                issued = read_token_answer(body)
            except TransmissionError as exc:
                if reauthorize := refused_refresh_token(exc, REAUTHORIZE):
                    raise reauthorize from exc
                raise TokenRequestFailed(
                    f"Blackboard token request failed: {exc.message}",
                    transient=exc.transient,
                    status_code=exc.status_code,
                ) from exc
            except ValueError as exc:
                raise TokenRequestFailed(f"Blackboard: {exc}.") from exc
            rotated = body.get("refresh_token")
            if isinstance(rotated, str) and rotated and rotated != current:
                self.add_secret(rotated)
                row.refresh_token = rotated
                row.save(update_fields=["refresh_token"])
                self.configuration.refresh_token = rotated
        self.add_secret(issued.value)
        return issued

    # Calls

    def _api(self, method: str, path: str, **kwargs):
        return self.authorized_request(method, self.url(path), **kwargs)

    def _json(self, response, what: str) -> dict:
        body = self.parse_json(response, what=what)
        if not isinstance(body, dict):
            raise MalformedResponse(f"Blackboard answered {what} with something other than an object.")
        return body

    def _pages(self, path: str, params: dict | None = None):
        response = self._api("GET", path, params=params)
        for _page in range(MAX_PAGES):
            body = self._json(response, "a list")
            results = body.get("results")
            if not isinstance(results, list):
                raise MalformedResponse(f"Blackboard answered {path} without results.")
            yield from results
            following = (body.get("paging") or {}).get("nextPage")
            if not following:
                return
            if not str(following).startswith("/"):
                raise MalformedResponse("Blackboard's next page is not a path of the same server.")
            response = self._api("GET", following)

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        if isinstance(body, dict) and body.get("message"):
            extra = body.get("extraInfo")
            return f"{body['message']}" + (f" ({extra})" if extra else "")
        return super().remote_message(response)

    # Lookups (cached for the run)

    def _find_course(self, course: str) -> str | None:
        try:
            response = self._api("GET", f"{API}/v3/courses/externalId:{quote(course, safe='')}")
        except RemoteRejected as exc:
            if exc.status_code == 404:
                return None
            raise
        remote_id = str(self._json(response, "the course")["id"])
        RemoteCourse.objects.remember(self.configuration, course, remote_id)
        return remote_id

    def members(self, course_id: str) -> dict[str, str]:
        """The course's members: e-mail → Learn user id (one paged listing per course per run)."""
        if course_id not in self._members:
            found = {}
            for row in self._pages(f"{API}/v1/courses/{course_id}/users", {"expand": "user"}):
                email = str(((row.get("user") or {}).get("contact") or {}).get("email") or "").lower()
                if email and row.get("userId"):
                    found[email] = str(row["userId"])
            self._members[course_id] = found
        return self._members[course_id]

    def _course_columns(self, course_id: str) -> dict[str, str]:
        """The course's gradebook columns by ``externalId``: one paged listing per course per run."""
        if course_id not in self._columns:
            path = f"{API}/v2/courses/{course_id}/gradebook/columns"
            self._columns[course_id] = {
                str(c["externalId"]): str(c["id"]) for c in self._pages(path) if c.get("externalId")
            }
        return self._columns[course_id]

    def grade_column(self, course_id: str, *, external_id: str = GRADE_COLUMN_ID, name: str = "") -> str:
        """The id of the column with ``external_id`` (the final grade by default), created once (100 points,
        manual grading) when the course has none."""
        known = self._course_columns(course_id)
        if external_id not in known:
            name = (name or self.configuration.grade_column_name)[:COLUMN_NAME_LIMIT]
            final = external_id == GRADE_COLUMN_ID
            column = {
                "externalId": external_id,
                "name": name,
                "displayName": name,
                "description": (
                    "The learner's final grade on the learning platform."
                    if final
                    else "The learner's grade in this assessment on the learning platform."
                ),
                "score": {"possible": 100},
                "availability": {"available": "Yes"},
                "grading": {"type": "Manual"},
            }
            path = f"{API}/v2/courses/{course_id}/gradebook/columns"
            known[external_id] = str(self._json(self._api("POST", path, json=column), "the created column")["id"])
        return known[external_id]

    # Learner data

    def _send_grade(self, record) -> Outcome:
        return self.outcome_of(record, lambda: self._patch_grade(record.payload))

    def _patch_grade(self, payload):
        course_id = self.graded_course_id(payload["course"])
        user_id = self.members(course_id).get(payload["email"])
        if user_id is None:
            raise RemoteRejected("No member of the Blackboard course has this e-mail address.")
        if "column" in payload:  # a subsection grade
            column = self.grade_column(
                course_id, external_id=payload["column"]["externalId"], name=payload["column"]["name"]
            )
        else:
            column = self.grade_column(course_id)
        path = f"{API}/v2/courses/{course_id}/gradebook/columns/{column}/users/{user_id}"
        response = self._api("PATCH", path, json={"score": payload["score"]})
        answer = self._json(response, "the grade")
        if answer.get("score") != payload["score"]:
            raise RemoteRejected(f"Blackboard kept the score {answer.get('score')!r}, not {payload['score']!r}.")
        return response

    # Courses

    def send_content_metadata(self, records):
        return [self._send_course(record) for record in records]

    def _send_course(self, record) -> Outcome:
        return self.outcome_of(record, lambda: self._put_course(record))

    def _put_course(self, record):
        payload = record.payload
        remote_id = self.course_id(record.course_id)
        if payload["content"] is None:  # withdrawn
            if remote_id is None:
                return Outcome(record, response_summary="not in Blackboard")
            response = self._api("PATCH", f"{API}/v3/courses/{remote_id}", json=payload["course"])
        else:
            if remote_id is None:
                remote_id, response = self._create_course(record)
            else:
                response = self._api("PATCH", f"{API}/v3/courses/{remote_id}", json=payload["course"])
            self._put_link(remote_id, payload["content"])
        return response

    def _create_course(self, record):
        try:
            response = self._api("POST", f"{API}/v3/courses", json=record.payload["course"])
        except RemoteRejected as exc:
            remote_id = self._find_course(record.course_id) if exc.status_code == 409 else None
            if remote_id is None:
                raise
            return remote_id, self._api("PATCH", f"{API}/v3/courses/{remote_id}", json=record.payload["course"])
        remote_id = self._json(response, "the created course").get("id")
        if not remote_id:
            raise MalformedResponse("Blackboard answered the created course without its id.")
        RemoteCourse.objects.remember(self.configuration, record.course_id, str(remote_id))
        self._courses[record.course_id] = str(remote_id)
        return str(remote_id), response

    def _put_link(self, course_id: str, content: dict) -> None:
        """The course's link content item: updated when there (same link), created otherwise."""
        path = f"{API}/v1/courses/{course_id}/contents"
        url = content["contentHandler"]["url"]
        existing = next(
            (row["id"] for row in self._pages(path) if (row.get("contentHandler") or {}).get("url") == url), None
        )
        if existing is None:
            self._api("POST", path, json=content)
        else:
            self._api("PATCH", f"{path}/{existing}", json={k: v for k, v in content.items() if k != "contentHandler"})
