"""Canvas client: OAuth 2 refresh token and the Canvas REST API (v1).

- Token: POST ``/login/oauth2/token`` (form: grant_type=refresh_token, client_id, client_secret,
  refresh_token) for an access token (an hour), kept in the shared token store. A refresh token
  Canvas no longer accepts (``invalid_grant``) stops the run asking an administrator to authorize
  the connection again.
- Courses: POST ``/api/v1/accounts/{account}/courses`` (``{"course": {...}}``; the answered id kept,
  decision 0280), PUT ``/api/v1/courses/{id}``; a withdrawn course is concluded
  (DELETE ``?event=conclude``: its grades stay). A course not known here is looked up in the
  account by its course code (``search_term``), following the ``Link: rel="next"`` pages.
- Grades: the learner's Canvas id by e-mail among the course's students
  (``/api/v1/courses/{id}/users?enrollment_type[]=student&include[]=email``, paginated, once per
  course per run), the course's final-grade assignment (found by ``integration_id`` in
  ``/api/v1/courses/{id}/assignments``, paginated, or created once: no submission, 100 points,
  published), then, per assignment of a batch of 500, one bulk update (POST
  ``…/assignments/{a}/submissions/update_grades`` with ``grade_data[user][posted_grade]``, a job
  polled on ``/api/v1/progress/{id}`` until ``completed``; nothing is sent-marked before) or, for a
  single grade, PUT ``…/assignments/{a}/submissions/{user}``. A failed job is redone one grade at
  a time so that only the refused ones fail (decision 0425).
- Assessment-level data (``transmit_subsection_learner_data``): each graded subsection is an
  assignment of the course whose ``integration_id`` is the subsection's id and name its title
  (created once, found in the same listing), the learner's subsection grade posted to it.
- Canvas answers a throttled call with 403 "Rate Limit Exceeded" (not 429): it is retried, never
  taken for refused credentials.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from enterprise.transports.oauth2 import IssuedToken, read_token_answer
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RateLimited,
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

TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 (a path)
AUTHORIZE_PATH = "/login/oauth2/auth"
PER_PAGE = 100
MAX_PAGES = 2000  # 200,000 items: a guard against a list that never ends, never a silent cut
RATE_LIMIT_MARKER = "rate limit exceeded"
GRADES_PER_BATCH = 500  # learner records per batch: one bulk grade update per assignment (decision 0425)
PROGRESS_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)  # between polls of a grade update job
RATE_LIMIT_WAIT = 5.0  # Canvas sends no Retry-After; its bucket refills within seconds
REAUTHORIZE = (
    "Canvas no longer accepts this connection's refresh token: an administrator must authorize the connection "
    "again (Authorize in Canvas on the connection's page)."
)


def next_link(response) -> str | None:
    """The ``rel="next"`` URL of a Link header (Canvas's pagination)."""
    link = response.links.get("next") if response is not None else None
    return link.get("url") if link else None


class CanvasClient(AuthorizedLmsClient):
    name = "Canvas"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self._students: dict[str, dict[str, str]] = {}
        self._assignments: dict[str, dict[str, str]] = {}  # Canvas course id -> integration id -> assignment id

    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.base_url), str(self.configuration.account_id)

    # Errors

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list):
            return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        if isinstance(errors, dict):
            return "; ".join(
                f"{field}: {item.get('message', item) if isinstance(item, dict) else item}"
                for field, items in errors.items()
                for item in (items if isinstance(items, list) else [items])
            )
        return super().remote_message(response)

    def error_for(self, response):
        if response.status_code == 403 and RATE_LIMIT_MARKER in response.text.lower():
            return RateLimited(
                "Canvas throttled the calls (403 Rate Limit Exceeded).",
                status_code=403,
                retry_after=RATE_LIMIT_WAIT,
                remote_message="Rate Limit Exceeded",
                response_summary=self.summarize(response),
                url=response.url,
                response=response,
            )
        return super().error_for(response)

    # Tokens

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=self.url(TOKEN_PATH),
            client_id=config.client_id,
            client_secret=config.client_secret,
            grant_type="refresh_token",
            credentials="body",
            body="form",
            params={"refresh_token": config.refresh_token},
            owner=owner_of(config),
            subject=subject,
        )

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        if not self.configuration.refresh_token:
            raise TokenRequestFailed(
                "This Canvas connection is not authorized yet: an administrator must authorize it "
                "(Authorize in Canvas on the connection's page)."
            )
        try:
            return super().fetch_token(request)
        except TokenRequestFailed as exc:
            if reauthorize := refused_refresh_token(exc, REAUTHORIZE):
                raise reauthorize from exc
            raise

    @staticmethod
    def authorization_url(configuration, *, redirect_uri: str, state: str) -> str:
        """Canvas's consent page for this connection's developer key."""
        query = urlencode(
            {
                "client_id": configuration.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{configuration.base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"

    def exchange_code(self, code: str, *, redirect_uri: str) -> str:
        """The refresh token Canvas gives for an authorization code (the callback's)."""
        config = self.configuration
        self.add_secret(config.client_secret)
        self.add_secret(code)
        response = self.request(
            "POST",
            self.url(TOKEN_PATH),
            data={
                "grant_type": "authorization_code",
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        body = self.parse_json(response, what="the authorization code")
        read_token_answer(body)  # a usable answer
        return self.read_refresh_token(body, missing="Canvas answered the authorization code without a refresh token.")

    # Calls

    def _api(self, method: str, path_or_url: str, **kwargs):
        url = path_or_url if path_or_url.startswith("http") else self.url(path_or_url)
        return self.authorized_request(method, url, **kwargs)

    def _pages(self, path: str, params: dict):
        """Every item of a paginated list, following ``Link: rel="next"``."""
        response = self._api("GET", path, params={**params, "per_page": PER_PAGE})
        for _page in range(MAX_PAGES):
            items = self.parse_json(response, what="a list")
            if not isinstance(items, list):
                raise MalformedResponse(
                    f"Canvas answered {path} without a list.", response_summary=self.summarize(response)
                )
            yield from items
            following = next_link(response)
            if not following:
                return
            if self.host_of(following) != self.host_of(self.configuration.base_url):
                raise MalformedResponse("Canvas's next page is on another host.")
            response = self._api("GET", following)
        raise MalformedResponse(f"Canvas's list {path} goes on past {MAX_PAGES} pages of {PER_PAGE}.")

    # Lookups (cached for the run)

    def students(self, course_id: str) -> dict[str, str]:
        """The course's students: e-mail (or login) → Canvas user id, one paged listing per course per run."""
        if course_id not in self._students:
            found: dict[str, str] = {}
            params = {"enrollment_type[]": "student", "include[]": "email"}
            for user in self._pages(f"/api/v1/courses/{course_id}/users", params):
                for key in ("email", "login_id"):
                    value = str(user.get(key) or "").lower()
                    if value:
                        found.setdefault(value, str(user["id"]))
            self._students[course_id] = found
        return self._students[course_id]

    def _find_course(self, course: str) -> str | None:
        account = self.configuration.account_id
        for row in self._pages(f"/api/v1/accounts/{account}/courses", {"search_term": course}):
            if row.get("integration_id") == course or row.get("course_code") == course:
                RemoteCourse.objects.remember(self.configuration, course, str(row["id"]))
                return str(row["id"])
        return None

    def _course_assignments(self, course_id: str) -> dict[str, str]:
        """The course's assignments by ``integration_id``: one paged listing per course per run."""
        if course_id not in self._assignments:
            self._assignments[course_id] = {
                str(row["integration_id"]): str(row["id"])
                for row in self._pages(f"/api/v1/courses/{course_id}/assignments", {})
                if row.get("integration_id")
            }
        return self._assignments[course_id]

    def assignment_id(self, course: str, course_id: str, *, integration_id: str = "", name: str = "") -> str:
        """The id of the assignment with this ``integration_id`` (the course's final grade by default: the
        course id), created once (no submission, 100 points, percent, published) when the course has none."""
        integration_id = integration_id or course
        known = self._course_assignments(course_id)
        if integration_id not in known:
            document = {
                "assignment": {
                    "name": (name or self.configuration.assignment_name)[:255],
                    "submission_types": ["none"],
                    "integration_id": integration_id,
                    "points_possible": 100,
                    "grading_type": "percent",
                    "published": True,
                }
            }
            response = self._api("POST", f"/api/v1/courses/{course_id}/assignments", json=document)
            body = self.parse_json(response, what="the created assignment")
            found = str(body["id"]) if isinstance(body, dict) and body.get("id") else None
            if found is None:
                raise MalformedResponse("Canvas answered the created assignment without its id.")
            known[integration_id] = found
        return known[integration_id]

    # Learner data

    def learner_batch_size(self) -> int:
        return GRADES_PER_BATCH

    def send_learner_data(self, records):
        return self._send_grades(records)

    def send_subsection_grades(self, records):
        """Assessment-level data: each graded subsection is an assignment of the course (``integration_id``:
        the subsection's id, created once), the learners' grades posted to it together."""
        return self._send_grades(records)

    def _send_grades(self, records) -> list[Outcome]:
        """The batch's grades per assignment: one alone with a PUT, several with one bulk update
        (``…/submissions/update_grades``, a job followed to its end on ``/api/v1/progress/{id}``)."""
        outcomes: list[Outcome] = []
        groups: dict[tuple[str, str], list[tuple[object, str]]] = {}
        for record in records:
            try:
                course_id, assignment, user_id = self._target(record.payload)
            except (TokenRequestFailed, AuthenticationFailed):
                raise
            except TransmissionError as exc:
                outcomes.append(
                    Outcome(record, error=exc, status_code=exc.status_code, response_summary=exc.response_summary)
                )
                continue
            groups.setdefault((course_id, assignment), []).append((record, user_id))
        for (course_id, assignment), group in groups.items():
            if len(group) == 1:
                outcomes += [self._send_grade(record) for record, _user in group]
            else:
                outcomes += self._bulk_grades(course_id, assignment, group)
        return outcomes

    def _target(self, payload) -> tuple[str, str, str]:
        course_id = self.graded_course_id(payload["course"])
        user_id = self.students(course_id).get(payload["email"])
        if user_id is None:
            raise RemoteRejected("No student of the Canvas course has this e-mail address: enroll the learner there.")
        assignment = self.assignment_id(
            payload["course"],
            course_id,
            integration_id=payload.get("subsection_id", ""),
            name=payload.get("subsection_title", ""),
        )
        return course_id, assignment, user_id

    def _bulk_grades(self, course_id: str, assignment: str, group) -> list[Outcome]:
        path = f"/api/v1/courses/{course_id}/assignments/{assignment}/submissions/update_grades"
        grade_data = {user: {"posted_grade": record.payload["posted_grade"]} for record, user in group}
        try:
            response = self._api("POST", path, json={"grade_data": grade_data})
            state, message = self._follow(self.parse_json(response, what="the grade update job"))
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except TransmissionError as exc:
            return [
                Outcome(record, error=exc, status_code=exc.status_code, response_summary=exc.response_summary)
                for record, _u in group
            ]
        if state == "completed":
            summary = f"graded with the {len(group)} grades of the same assignment (job completed)"
            return [Outcome(record, status_code=200, response_summary=summary) for record, _user in group]
        if state == "failed":  # Canvas says not which one: each alone, so that only the refused ones fail
            return [self._send_grade(record) for record, _user in group]
        error = TransmissionError(
            f"Canvas had not finished the grade update job after {sum(PROGRESS_WAITS):.0f} s ({message}): "
            "sent again at the next run."
        )
        return [Outcome(record, error=error) for record, _user in group]

    def _follow(self, progress) -> tuple[str, str]:
        """Poll a Progress until ``completed`` or ``failed`` (or the waits run out: ``running``)."""
        for wait in (0.0, *PROGRESS_WAITS):
            if not isinstance(progress, dict) or "workflow_state" not in progress or "id" not in progress:
                raise MalformedResponse("Canvas answered the grade update without a progress.")
            state = str(progress["workflow_state"])
            if state in ("completed", "failed"):
                return state, str(progress.get("message") or "")
            if wait:
                time.sleep(wait)
            response = self._api("GET", progress.get("url") or f"/api/v1/progress/{quote(str(progress['id']))}")
            progress = self.parse_json(response, what="the grade update progress")
        return "running", str(progress.get("message") or progress.get("workflow_state") or "")

    def _send_grade(self, record) -> Outcome:
        return self.outcome_of(record, lambda: self._put_grade(record.payload))

    def _put_grade(self, payload):
        course_id = self.graded_course_id(payload["course"])
        user_id = self.students(course_id).get(payload["email"])
        if user_id is None:
            raise RemoteRejected("No student of the Canvas course has this e-mail address: enroll the learner there.")
        assignment = self.assignment_id(
            payload["course"],
            course_id,
            integration_id=payload.get("subsection_id", ""),
            name=payload.get("subsection_title", ""),
        )
        path = f"/api/v1/courses/{course_id}/assignments/{assignment}/submissions/{quote(user_id)}"
        try:
            response = self._api("PUT", path, json={"submission": {"posted_grade": payload["posted_grade"]}})
            graded = self.parse_json(response, what="the graded submission")
            if not isinstance(graded, dict) or "grade" not in graded:
                raise MalformedResponse(
                    "Canvas answered the grade without the graded submission.",
                    response_summary=self.summarize(response),
                )
        except RemoteRejected as exc:
            if exc.status_code == 404:
                raise RemoteRejected(
                    "Canvas refused the grade: the learner is not enrolled in the Canvas course.",
                    status_code=404,
                    response_summary=exc.response_summary,
                ) from exc
            raise
        return response

    # Courses

    def send_content_metadata(self, records):
        known = RemoteCourse.objects.ids_for(self.configuration, [record.course_id for record in records])
        self._courses.update(known)
        return [self._send_course(record) for record in records]

    def _send_course(self, record) -> Outcome:
        return self.outcome_of(record, lambda: self._put_course(record))

    def _put_course(self, record):
        remote_id = self.course_id(record.course_id)
        if record.payload["withdrawn"]:
            if remote_id is None:
                return Outcome(record, response_summary="not in Canvas")
            response = self._api("DELETE", f"/api/v1/courses/{remote_id}", params={"event": "conclude"})
        elif remote_id is None:
            account = self.configuration.account_id
            response = self._api(
                "POST",
                f"/api/v1/accounts/{account}/courses",
                json={"course": record.payload["course"], "offer": True},
            )
            body = self.parse_json(response, what="the created course")
            if not isinstance(body, dict) or not body.get("id"):
                raise MalformedResponse("Canvas answered the created course without its id.")
            RemoteCourse.objects.remember(self.configuration, record.course_id, str(body["id"]))
            self._courses[record.course_id] = str(body["id"])
        else:
            response = self._api("PUT", f"/api/v1/courses/{remote_id}", json={"course": record.payload["course"]})
        return response
