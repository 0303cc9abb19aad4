"""A fake Canvas instance on 127.0.0.1: OAuth 2 (authorization code, refresh token) and the REST API.

- ``GET /login/oauth2/auth``: the administrator's consent, granted at once (or refused with
  ``deny_next_authorization``): 302 to the redirect URI with ``code`` and the ``state`` unchanged.
  The developer key's redirect URI must match.
- ``POST /login/oauth2/token``: ``authorization_code`` (the code once, with the same redirect URI)
  answers a refresh token; ``refresh_token`` answers an access token of an hour. A refresh token
  Canvas does not know (revoked, ``revoke_refresh_tokens``) is ``400 invalid_grant``.
- The API needs a bearer token it issued (401 "Invalid access token." otherwise), takes JSON
  bodies only as ``application/json``, paginates lists with ``Link`` headers (``per_page`` at most
  100), and refuses unknown fields. ``fail(kind, 403, raw=b"403 Forbidden (Rate Limit Exceeded)")``
  throttles like Canvas.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.vendor import Refused, Reply, VendorFake

COURSE_FIELDS = {
    "name",
    "course_code",
    "integration_id",
    "sis_course_id",
    "syllabus_body",
    "default_view",
    "is_public",
    "start_at",
    "end_at",
    "public_description",
    "image_url",
}
ASSIGNMENT_FIELDS = {"name", "submission_types", "integration_id", "points_possible", "grading_type", "published"}
RATE_LIMITED = b"403 Forbidden (Rate Limit Exceeded)"


def not_found():
    return Refused(404, {"errors": [{"message": "The specified resource does not exist."}]})


def bad(message: str, attribute: str = "base"):
    return Refused(400, {"errors": {attribute: [{"attribute": attribute, "type": "invalid", "message": message}]}})


@dataclass
class Account:
    id: int
    client_id: str
    client_secret: str
    redirect_uri: str = ""
    users: dict[int, str] = field(default_factory=dict)  # id -> login e-mail
    courses: dict[int, dict] = field(default_factory=dict)
    enrollments: set[tuple[int, int]] = field(default_factory=set)  # (course id, user id)
    assignments: dict[int, list[dict]] = field(default_factory=dict)  # course id -> assignments
    grades: dict[tuple[int, int, int], str] = field(default_factory=dict)  # (course, assignment, user) -> grade


class FakeCanvas(VendorFake):
    name = "canvas"
    routes = (
        ("GET", r"/login/oauth2/auth", "_authorize", "authorize"),
        ("POST", r"/login/oauth2/token", "_token", "token"),
        ("GET", r"/api/v1/accounts/(?P<account>\d+)", "_account", "account"),
        ("GET", r"/api/v1/accounts/(?P<account>\d+)/users", "_users", "users"),
        ("GET", r"/api/v1/accounts/(?P<account>\d+)/courses", "_courses", "courses"),
        ("POST", r"/api/v1/accounts/(?P<account>\d+)/courses", "_create_course", "create_course"),
        ("PUT", r"/api/v1/courses/(?P<course>\d+)", "_update_course", "update_course"),
        ("DELETE", r"/api/v1/courses/(?P<course>\d+)", "_delete_course", "delete_course"),
        ("GET", r"/api/v1/courses/(?P<course>\d+)/users", "_course_users", "course_users"),
        ("GET", r"/api/v1/courses/(?P<course>\d+)/assignments", "_assignments", "assignments"),
        ("POST", r"/api/v1/courses/(?P<course>\d+)/assignments", "_create_assignment", "create_assignment"),
        (
            "PUT",
            r"/api/v1/courses/(?P<course>\d+)/assignments/(?P<assignment>\d+)/submissions/(?P<user>\d+)",
            "_grade",
            "grade",
        ),
        (
            "POST",
            r"/api/v1/courses/(?P<course>\d+)/assignments/(?P<assignment>\d+)/submissions/update_grades",
            "_update_grades",
            "update_grades",
        ),
        ("GET", r"/api/v1/progress/(?P<progress>\d+)", "_progress", "progress"),
    )

    def __init__(self, *, token_lifetime: int = 3600):
        self.token_lifetime = token_lifetime
        self.account: Account | None = None
        self.codes: dict[str, str] = {}  # code -> redirect uri
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self.deny_next_authorization = False
        self.jobs: dict[int, dict] = {}  # progress id -> {"state", "grades", "message"}
        self.failing_jobs = 0  # the next N grade update jobs end "failed" (Canvas names no culprit)
        self.polls_to_finish = 1  # polls of a job's progress before it is done
        self._ids = itertools.count(1001)
        super().__init__()

    def setup(self, account_id: int, client_id: str, client_secret: str, redirect_uri: str = "") -> Account:
        self.account = Account(account_id, client_id, client_secret, redirect_uri)
        return self.account

    def issue_refresh_token(self) -> str:
        value = secrets.token_urlsafe(24)
        self.refresh_tokens.add(value)
        return value

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def add_user(self, email: str) -> int:
        user_id = next(self._ids)
        self.account.users[user_id] = email.lower()
        return user_id

    def add_course(self, course_code: str, **fields) -> int:
        course_id = next(self._ids)
        self.account.courses[course_id] = {"id": course_id, "name": course_code, "course_code": course_code, **fields}
        self.account.assignments[course_id] = []
        return course_id

    def enroll(self, course_id: int, user_id: int) -> None:
        self.account.enrollments.add((course_id, user_id))

    # Helpers

    def _auth(self, request) -> None:
        expires = self.access_tokens.get(request.bearer())
        if expires is None or expires < time.monotonic():
            raise Refused(
                401,
                {"errors": [{"message": "Invalid access token."}]},
                {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            )

    def _account_of(self, request) -> Account:
        self._auth(request)
        if int(request.match["account"]) != self.account.id:
            raise not_found()
        return self.account

    def _course(self, request) -> dict:
        self._auth(request)
        course = self.account.courses.get(int(request.match["course"]))
        if course is None:
            raise not_found()
        return course

    @staticmethod
    def _json(request, key: str, allowed: set[str]) -> dict:
        if request.content_type != "application/json":
            raise bad("Send application/json.")
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise bad(f"The body must be {{{key}: {{...}}}}.")
        unknown = set(body[key]) - allowed
        if unknown:
            raise bad(f"Unknown fields {sorted(unknown)}.")
        return body

    def _page(self, request, rows: list) -> Reply:
        try:
            per_page = min(int(request.query.get("per_page", ["10"])[-1]), 100)
            page = int(request.query.get("page", ["1"])[-1])
        except ValueError as exc:
            raise bad("per_page and page are numbers") from exc
        chunk = rows[(page - 1) * per_page : page * per_page]
        query = {key: values[-1] for key, values in request.query.items()}
        links = [f'<{self.base_url}{request.path}?{urlencode({**query, "page": page})}>; rel="current"']
        if page * per_page < len(rows):
            links.append(f'<{self.base_url}{request.path}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        links.append(f'<{self.base_url}{request.path}?{urlencode({**query, "page": 1})}>; rel="first"')
        return Reply(200, chunk, {"Link": ", ".join(links)})

    @staticmethod
    def _search_term(request) -> str:
        term = request.query.get("search_term", [""])[-1]
        if term and len(term) < 2:
            raise bad("search_term of at least 2 characters", "search_term")
        return term.lower()

    # OAuth

    def _authorize(self, request):
        query = {key: values[-1] for key, values in request.query.items()}
        account = self.account
        if query.get("client_id") != account.client_id or query.get("response_type") != "code":
            raise bad("unknown client or response_type")
        if account.redirect_uri and query.get("redirect_uri") != account.redirect_uri:
            raise bad("redirect_uri does not match the developer key's")
        target = urlsplit(query["redirect_uri"])
        if self.deny_next_authorization:
            self.deny_next_authorization = False
            answer = {"error": "access_denied", "state": query.get("state", "")}
        else:
            code = secrets.token_urlsafe(12)
            self.codes[code] = query["redirect_uri"]
            answer = {"code": code, "state": query.get("state", "")}
        sep = "&" if target.query else "?"
        return Reply(302, None, {"Location": f"{query['redirect_uri']}{sep}{urlencode(answer)}"})

    def _token(self, request):
        if request.content_type != "application/x-www-form-urlencoded":
            raise Refused(400, {"error": "invalid_request"})
        form = {name: values[-1] for name, values in parse_qs(request.raw.decode()).items()}
        if form.get("client_id") != self.account.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.account.client_secret
        ):
            raise Refused(401, {"error": "invalid_client", "error_description": "unknown client"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if set(form) != {"grant_type", "client_id", "client_secret", "redirect_uri", "code"}:
                raise Refused(400, {"error": "invalid_request"})
            with self.lock:
                redirect_uri = self.codes.pop(form["code"], None)
            if redirect_uri is None or redirect_uri != form["redirect_uri"]:
                raise Refused(400, {"error": "invalid_grant", "error_description": "authorization_code not found"})
            refresh = self.issue_refresh_token()
            return self._access(refresh=refresh)
        if grant == "refresh_token":
            if set(form) != {"grant_type", "client_id", "client_secret", "refresh_token"}:
                raise Refused(400, {"error": "invalid_request"})
            if form["refresh_token"] not in self.refresh_tokens:
                raise Refused(400, {"error": "invalid_grant", "error_description": "refresh_token not found"})
            return self._access()
        raise Refused(400, {"error": "unsupported_grant_type"})

    def _access(self, refresh: str | None = None) -> dict:
        value = secrets.token_urlsafe(24)
        with self.lock:
            self.access_tokens[value] = time.monotonic() + self.token_lifetime
        answer = {
            "access_token": value,
            "token_type": "Bearer",
            "user": {"id": 1, "name": "Admin"},
            "expires_in": self.token_lifetime,
        }
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    # API

    def _account(self, request):
        account = self._account_of(request)
        return {"id": account.id, "name": "Acme University", "workflow_state": "active"}

    def _users(self, request):
        account = self._account_of(request)
        term = self._search_term(request)
        rows = [
            {"id": uid, "name": email, "login_id": email, "email": email}
            for uid, email in sorted(account.users.items())
            if term in email
        ]
        return self._page(request, rows)

    def _course_users(self, request):
        course = self._course(request)
        types = request.query.get("enrollment_type[]", [])
        if types and set(types) - {"student", "teacher", "ta", "observer", "designer"}:
            raise bad("unknown enrollment_type", "enrollment_type")
        with_email = "email" in request.query.get("include[]", [])
        rows = []
        for user_id, email in sorted(self.account.users.items()):
            if (course["id"], user_id) in self.account.enrollments:
                row = {"id": user_id, "name": email, "login_id": email}
                if with_email:
                    row["email"] = email
                rows.append(row)
        return self._page(request, rows)

    def _courses(self, request):
        account = self._account_of(request)
        term = self._search_term(request)
        rows = [
            c
            for _id, c in sorted(account.courses.items())
            if term in c.get("name", "").lower() or term in c.get("course_code", "").lower()
        ]
        return self._page(request, rows)

    def _create_course(self, request):
        account = self._account_of(request)
        body = self._json(request, "course", COURSE_FIELDS)
        course = body["course"]
        if not str(course.get("name", "")).strip() or len(course["name"]) > 255:
            raise bad("name is required (at most 255 characters)", "name")
        integration = course.get("integration_id")
        if integration and any(c.get("integration_id") == integration for c in account.courses.values()):
            raise bad("integration_id is already in use", "integration_id")
        course_id = next(self._ids)
        state = "available" if body.get("offer") else "unpublished"
        account.courses[course_id] = {"id": course_id, "account_id": account.id, "workflow_state": state, **course}
        account.assignments[course_id] = []
        return account.courses[course_id]

    def _update_course(self, request):
        course = self._course(request)
        body = self._json(request, "course", COURSE_FIELDS)
        course.update(body["course"])
        return course

    def _delete_course(self, request):
        course = self._course(request)
        event = request.query.get("event", [""])[-1]
        if event not in ("delete", "conclude"):
            raise bad("event must be delete or conclude", "event")
        course["workflow_state"] = "completed" if event == "conclude" else "deleted"
        return {event: True}

    def _assignments(self, request):
        course = self._course(request)
        return self._page(request, self.account.assignments[course["id"]])

    def _create_assignment(self, request):
        course = self._course(request)
        assignment = self._json(request, "assignment", ASSIGNMENT_FIELDS)["assignment"]
        if not assignment.get("name"):
            raise bad("name is required", "name")
        row = {"id": next(self._ids), "course_id": course["id"], **assignment}
        self.account.assignments[course["id"]].append(row)
        return row

    @staticmethod
    def _checked_grade(value) -> str:
        grade = str(value)
        number = grade[:-1] if grade.endswith("%") else grade
        try:
            float(number)
        except ValueError:
            if grade not in ("pass", "fail", "complete", "incomplete"):
                raise bad("posted_grade is not a grade", "posted_grade") from None
        return grade

    def _update_grades(self, request):
        """Grade or comment on multiple submissions: a job (Progress) that grades them when it runs."""
        course = self._course(request)
        assignment_id = int(request.match["assignment"])
        if assignment_id not in {a["id"] for a in self.account.assignments[course["id"]]}:
            raise not_found()
        if request.content_type != "application/json":
            raise bad("Send application/json.")
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"grade_data"} or not isinstance(body["grade_data"], dict):
            raise bad("The body must be {grade_data: {user id: {posted_grade}}}.")
        if not body["grade_data"]:
            raise bad("grade_data is empty", "grade_data")
        grades = {}
        for user, data in body["grade_data"].items():
            if (
                not str(user).isdigit()
                or not isinstance(data, dict)
                or set(data) - {"posted_grade", "excuse", "text_comment"}
            ):
                raise bad("grade_data is {user id: {posted_grade}}", "grade_data")
            if "posted_grade" not in data:
                raise bad("posted_grade is missing", "grade_data")
            grades[int(user)] = self._checked_grade(data["posted_grade"])
        job_id = next(self._ids)
        failing = self.failing_jobs > 0 or any((course["id"], user) not in self.account.enrollments for user in grades)
        self.failing_jobs = max(self.failing_jobs - 1, 0)
        self.jobs[job_id] = {
            "key": (course["id"], assignment_id),
            "grades": grades,
            "fail": failing,
            "polls": 0,
            "state": "queued",
        }
        return self._progress_body(job_id)

    def _progress_body(self, job_id: int) -> dict:
        job = self.jobs[job_id]
        return {
            "id": job_id,
            "context_type": "Course",
            "tag": "submissions_update",
            "completion": 100 if job["state"] in ("completed", "failed") else 0,
            "workflow_state": job["state"],
            "message": "a submission could not be graded" if job["state"] == "failed" else None,
            "url": f"{self.base_url}/api/v1/progress/{job_id}",
        }

    def _progress(self, request):
        self._auth(request)
        job_id = int(request.match["progress"])
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found()
        job["polls"] += 1
        if job["state"] in ("queued", "running"):
            if job["polls"] < self.polls_to_finish:
                job["state"] = "running"
            elif job["fail"]:
                job["state"] = "failed"
            else:
                course_id, assignment_id = job["key"]
                for user, grade in job["grades"].items():
                    self.account.grades[(course_id, assignment_id, user)] = grade
                job["state"] = "completed"
        return self._progress_body(job_id)

    def _grade(self, request):
        course = self._course(request)
        assignment_id, user_id = int(request.match["assignment"]), int(request.match["user"])
        if assignment_id not in {a["id"] for a in self.account.assignments[course["id"]]}:
            raise not_found()
        if (course["id"], user_id) not in self.account.enrollments:
            raise not_found()
        body = self._json(request, "submission", {"posted_grade"})
        grade = str(body["submission"].get("posted_grade", ""))
        number = grade[:-1] if grade.endswith("%") else grade
        try:
            score = float(number)
        except ValueError:
            if grade not in ("pass", "fail", "complete", "incomplete"):
                raise bad("posted_grade is not a grade", "posted_grade") from None
            score = None
        self.account.grades[(course["id"], assignment_id, user_id)] = grade
        return {
            "id": next(self._ids),
            "assignment_id": assignment_id,
            "user_id": user_id,
            "grade": grade,
            "score": score,
            "workflow_state": "graded",
        }
