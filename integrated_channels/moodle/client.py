"""Moodle client: the web services REST endpoint (``webservice/rest/server.php``).

Every call is a form POST of ``wstoken``, ``wsfunction``, ``moodlewsrestformat=json`` and the
function's parameters in PHP array notation (``courses[0][shortname]``). Moodle answers HTTP 200
even for errors: ``{"exception", "errorcode", "message"}``; ``invalidtoken`` is an expired or
revoked token (a new one is obtained once when the connection has a login), access and permission
errors stop the run, any other error refuses the call's records.

- Token: the connection's web service token, or POST ``login/token.php?service=…`` with the user
  name and password (``{"token": …}``), kept in the shared token store.
- Courses: ``core_course_create_courses`` (up to ``courses_per_call`` per call; the ids answered are
  kept in ``RemoteCourse``), ``core_course_update_courses`` (per-course ``warnings`` fail only
  those), withdrawn courses hidden (``visible=0``). A course Moodle already has under the short
  name (``shortnametaken``) is found with ``core_course_get_courses_by_field`` and updated.
- Grades: the batch's learners' Moodle ids by e-mail (``core_user_get_users_by_field``, one call
  for the batch's courses together; an address Moodle does not know is asked once per run), per
  course the final-grade assignment (``core_course_get_contents``, once per course), then
  ``core_grades_update_grades`` with every learner's grade of that course in one call (answer 0:
  accepted). A batch is 1,000 records; a call's form stays under PHP's default ``max_input_vars``
  (1,000 fields, the rest dropped): up to 990 e-mails per look-up, 495 grades per update
  (decision 0425). When Moodle refuses a call of several records, they are sent again one by one
  so that only the refused ones fail.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from enterprise.transports.oauth2 import IssuedToken, Token, with_token_renewal
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteRejected,
    TransmissionError,
)
from integrated_channels.integrated_channel.models import RemoteCourse
from integrated_channels.integrated_channel.transports.base import Outcome, failed
from integrated_channels.integrated_channel.transports.oauth2 import (
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    TokenRequestFailed,
    owner_of,
)

REST_PATH = "/webservice/rest/server.php"
TOKEN_PATH = "/login/token.php"  # noqa: S105 (a path)
TOKEN_LIFETIME = 7 * 24 * 3600.0  # Moodle tokens live until revoked or their "valid until": re-asked weekly
GRADE_UPDATE_OK = 0
AUTHENTICATION_ERRORS = {
    "accessexception",
    "webservice_access_exception",
    "servicenotavailable",
    "servicerequireslogin",
    "requireloginerror",
    "usernotfullysetup",
    "nopermissions",
    "enablewsdescription",
}
# PHP reads at most ``max_input_vars`` (default 1,000) fields of a request and drops the rest, so a
# call's form stays under it: wstoken, wsfunction, moodlewsrestformat and the function's fields.
MAX_INPUT_VARS = 1000
EMAILS_PER_CALL = MAX_INPUT_VARS - 10  # core_user_get_users_by_field: field + one field per e-mail
GRADES_PER_CALL = (MAX_INPUT_VARS - 10) // 2  # core_grades_update_grades: studentid and grade per learner
LEARNERS_PER_BATCH = 1000  # records per send_learner_data: the batch's users in one look-up (decision 0425)


def flatten(prefix: str, rows: list[dict]) -> dict[str, object]:
    """``[{"a": 1}]`` → ``{"prefix[0][a]": 1}`` (PHP array notation)."""
    return {f"{prefix}[{index}][{key}]": value for index, row in enumerate(rows) for key, value in row.items()}


class MoodleClient(OAuth2ClientCredentialsTransport):
    name = "Moodle"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self._course_ids: dict[str, str | None] = {}
        self._modules: dict[str, int | None] = {}
        self._users: dict[str, int] = {}
        self._unknown: set[str] = set()  # e-mails Moodle has no user for (asked once per run)

    def url(self, path: str) -> str:
        return self.configuration.base_url.rstrip("/") + path

    def calls_per_minute(self) -> int:
        return self.configuration.calls_per_minute

    def learner_batch_size(self) -> int:
        return LEARNERS_PER_BATCH

    def content_batch_size(self) -> int:
        return self.configuration.courses_per_call

    # Token

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=self.url(TOKEN_PATH),
            client_id=config.username,
            client_secret=config.password,
            grant_type="password",
            credentials="body",
            body="form",
            params={"service": config.service_short_name},
            owner=owner_of(config),
            subject=subject,
        )

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        try:
            response = self.request(
                "POST",
                request.url,
                params={"service": request.params["service"]},
                data={"username": request.client_id, "password": request.client_secret},
            )
            body = self.parse_json(response, what="the token request")
        except TransmissionError as exc:
            raise TokenRequestFailed(
                f"Moodle token request failed: {exc.message}", transient=exc.transient, status_code=exc.status_code
            ) from exc
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            said = self.redact(str(body.get("error") or body.get("errorcode"))) if isinstance(body, dict) else ""
            raise TokenRequestFailed(
                f"Moodle refused the web service login: {said or 'no token in the answer'}. Check the user name, "
                "password and service short name.",
                status_code=response.status_code,
                remote_message=said,
                response_summary=self.summarize(response),
            )
        self.add_secret(token)
        return IssuedToken(token, TOKEN_LIFETIME)

    def token(self, subject: str = "", *, refused: Token | None = None) -> Token:
        if self.configuration.token:
            far = timezone.now() + datetime.timedelta(days=3650)
            return Token(self.configuration.token, "wstoken", far, "")
        return super().token(subject, refused=refused)

    # Calls

    def ws(self, function: str, params: dict | None = None):
        """Call a web service function; its parsed answer, or a typed error."""

        def call(token: Token):
            data = {"wstoken": token.value, "wsfunction": function, "moodlewsrestformat": "json", **(params or {})}
            response = self.request("POST", self.url(REST_PATH), data=data)
            return self._answer(function, response)

        return with_token_renewal(lambda refused=None: self.token(refused=refused), call)

    def _answer(self, function: str, response):
        body = self.parse_json(response, what=function)
        if not (isinstance(body, dict) and body.get("exception")):
            return body
        code = str(body.get("errorcode") or "")
        message = self.redact(str(body.get("message") or code))
        kwargs = {
            "remote_message": message,
            "response_summary": self.summarize(response),
            "url": response.url,
            "response": response,
        }
        if code == "invalidtoken":
            hint = "enter a new web service token" if self.configuration.token else "check the web service user"
            raise AuthenticationFailed(
                f"Moodle refused the web service token ({message}): {hint}.", status_code=401, **kwargs
            )
        if code in AUTHENTICATION_ERRORS:
            raise AuthenticationFailed(f"Moodle refused {function}: {message} ({code}).", **kwargs)
        raise RemoteRejected(
            f"Moodle refused {function}: {message} ({code}).", status_code=response.status_code, **kwargs
        )

    # Lookups (cached for the client's life: one run)

    def course_id(self, shortname: str) -> str | None:
        if shortname not in self._course_ids:
            known = RemoteCourse.objects.ids_for(self.configuration, [shortname]).get(shortname)
            self._course_ids[shortname] = known or self._find_course(shortname)
        return self._course_ids[shortname]

    def _find_course(self, shortname: str) -> str | None:
        body = self.ws("core_course_get_courses_by_field", {"field": "shortname", "value": shortname})
        courses = body.get("courses") if isinstance(body, dict) else None
        if not isinstance(courses, list):
            raise MalformedResponse("Moodle answered the course search without a course list.")
        if not courses:
            return None
        remote_id = str(courses[0]["id"])
        RemoteCourse.objects.remember(self.configuration, shortname, remote_id)
        return remote_id

    def grade_module(self, course_id: str) -> int | None:
        """The course module id of the final-grade assignment (None when the course has none)."""
        if course_id not in self._modules:
            sections = self.ws("core_course_get_contents", {"courseid": course_id})
            if not isinstance(sections, list):
                raise MalformedResponse("Moodle answered the course contents without a list of sections.")
            wanted = self.configuration.grade_assignment_name
            found = [
                module["id"]
                for section in sections
                for module in section.get("modules") or ()
                if module.get("name") == wanted and module.get("modname") == "assign"
            ]
            self._modules[course_id] = found[0] if found else None
        return self._modules[course_id]

    def user_ids(self, emails: list[str]) -> dict[str, int]:
        wanted = sorted({email for email in emails if email not in self._users and email not in self._unknown})
        for start in range(0, len(wanted), EMAILS_PER_CALL):
            chunk = wanted[start : start + EMAILS_PER_CALL]
            params = {f"values[{index}]": email for index, email in enumerate(chunk)}
            users = self.ws("core_user_get_users_by_field", {"field": "email", **params})
            if not isinstance(users, list):
                raise MalformedResponse("Moodle answered the user search without a list of users.")
            for user in users:
                self._users[str(user.get("email", "")).lower()] = int(user["id"])
            self._unknown.update(email for email in chunk if email not in self._users)  # asked once per run
        return {email: self._users[email] for email in emails if email in self._users}

    # Learner data

    def send_learner_data(self, records):
        by_course: dict[str, list] = {}
        for record in records:
            by_course.setdefault(record.payload["course"], []).append(record)
        try:  # the batch's learners in one look-up for all its courses, not one per course
            self.user_ids([record.payload["email"] for record in records])
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except TransmissionError:
            pass  # asked again per course below: only that course's records fail
        outcomes = []
        for course, group in by_course.items():
            try:
                outcomes += self._send_grades(course, group)
            except (TokenRequestFailed, AuthenticationFailed):
                raise
            except TransmissionError as exc:
                outcomes += failed(group, exc)
        return outcomes

    def _send_grades(self, course: str, records) -> list[Outcome]:
        course_id = self.course_id(course)
        if course_id is None:
            return failed(records, RemoteRejected(f"Moodle has no course {course}: export the course metadata first."))
        module = self.grade_module(course_id)
        if module is None:
            return failed(
                records,
                RemoteRejected(
                    f'Moodle course {course} has no assignment "{self.configuration.grade_assignment_name}" '
                    "to receive grades: create it in the course."
                ),
            )
        users = self.user_ids([record.payload["email"] for record in records])
        outcomes, known = [], []
        for record in records:
            if record.payload["email"] in users:
                known.append(record)
            else:
                outcomes.append(Outcome(record, error=RemoteRejected("Moodle has no user with this e-mail address.")))
        if known:
            outcomes += self._update_grades(course_id, module, known, users)
        return outcomes

    def _update_grades(self, course_id: str, module: int, records, users) -> list[Outcome]:
        if len(records) > GRADES_PER_CALL:  # within PHP's max_input_vars
            return [
                outcome
                for start in range(0, len(records), GRADES_PER_CALL)
                for outcome in self._update_grades(course_id, module, records[start : start + GRADES_PER_CALL], users)
            ]
        grades = [{"studentid": users[record.payload["email"]], "grade": record.payload["grade"]} for record in records]
        params = {
            "source": "mod_assign",
            "courseid": course_id,
            "component": "mod_assign",
            "activityid": module,
            "itemnumber": 0,
            **flatten("grades", grades),
        }
        try:
            answer = self.ws("core_grades_update_grades", params)
            if answer != GRADE_UPDATE_OK:
                raise RemoteRejected(f"Moodle did not update the grades (answer {answer!r}).", status_code=200)
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except RemoteRejected as exc:
            if len(records) > 1:
                return [o for record in records for o in self._update_grades(course_id, module, [record], users)]
            return failed(records, exc)
        return [Outcome(record, status_code=200, response_summary="grade updated") for record in records]

    # Courses

    def send_content_metadata(self, records):
        known = RemoteCourse.objects.ids_for(self.configuration, [record.course_id for record in records])
        self._course_ids.update(known)
        new = [record for record in records if record.course_id not in known and record.payload.get("visible") == 1]
        creating = {id(record) for record in new}
        existing = [record for record in records if id(record) not in creating]
        try:
            return self._create(new) + self._update(existing)
        except (TokenRequestFailed, AuthenticationFailed):
            raise

    def _create(self, records) -> list[Outcome]:
        if not records:
            return []
        try:
            answer = self.ws("core_course_create_courses", flatten("courses", [record.payload for record in records]))
        except RemoteRejected as exc:
            if len(records) > 1:
                return [outcome for record in records for outcome in self._create([record])]
            if "shortnametaken" in exc.message:  # Moodle has it already: update that one
                return self._update(records)
            return failed(records, exc)
        except TransmissionError as exc:
            return failed(records, exc)
        created = {row.get("shortname"): row.get("id") for row in answer} if isinstance(answer, list) else {}
        outcomes = []
        for record in records:
            remote_id = created.get(record.course_id)
            if remote_id is None:
                outcomes.append(Outcome(record, error=MalformedResponse("Moodle did not answer the created course.")))
                continue
            RemoteCourse.objects.remember(self.configuration, record.course_id, str(remote_id))
            self._course_ids[record.course_id] = str(remote_id)
            outcomes.append(Outcome(record, status_code=200, response_summary=f"created course {remote_id}"))
        return outcomes

    def _update(self, records) -> list[Outcome]:
        if not records:
            return []
        outcomes, rows, sent = [], [], []
        for record in records:
            try:
                remote_id = self.course_id(record.course_id)
            except (TokenRequestFailed, AuthenticationFailed):
                raise
            except TransmissionError as exc:
                outcomes.append(Outcome(record, error=exc))
                continue
            if remote_id is None:
                if record.payload.get("visible") == 0:  # never created there: nothing to hide
                    outcomes.append(Outcome(record, response_summary="not in Moodle"))
                else:
                    outcomes += self._create([record])
                continue
            rows.append({"id": remote_id, **{k: v for k, v in record.payload.items() if k != "shortname"}})
            sent.append((record, remote_id))
        if not rows:
            return outcomes
        try:
            answer = self.ws("core_course_update_courses", flatten("courses", rows))
        except RemoteRejected as exc:
            if len(sent) > 1:
                return outcomes + [o for record, _id in sent for o in self._update([record])]
            return outcomes + failed([record for record, _id in sent], exc)
        except TransmissionError as exc:
            return outcomes + failed([record for record, _id in sent], exc)
        warnings = {
            str(warning.get("itemid")): self.redact(str(warning.get("message") or warning.get("warningcode")))
            for warning in (answer.get("warnings") or [] if isinstance(answer, dict) else [])
        }
        for record, remote_id in sent:
            if remote_id in warnings:
                error = RemoteRejected(
                    f"Moodle refused the course: {warnings[remote_id]}", remote_message=warnings[remote_id]
                )
                outcomes.append(Outcome(record, error=error, status_code=200))
            else:
                outcomes.append(Outcome(record, status_code=200, response_summary=f"updated course {remote_id}"))
        return outcomes
