"""What the clients of the LMSs authorized by an administrator (Canvas, Blackboard Learn) share.

Both get an access token for the refresh token the administrator's consent gave (``exchange_code``
reads it from the authorization code's answer), stop the run asking for that consent again when
the LMS no longer accepts the refresh token (``invalid_grant``), keep the LMS's course ids (known
ones in ``RemoteCourse``, the others looked up once per run by ``_find_course``) and send each
record in a call of its own: a refused call fails that record only, refused credentials stop the
run (``outcome_of``).
"""

from __future__ import annotations

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
    TokenRequestFailed,
)


def refused_refresh_token(exc: TransmissionError, reauthorize: str) -> TokenRequestFailed | None:
    """``reauthorize`` as the error when the token endpoint no longer accepts the refresh token."""
    if exc.status_code in (400, 401) and "invalid_grant" in f"{exc.remote_message} {exc.response_summary}":
        return TokenRequestFailed(reauthorize, status_code=exc.status_code)
    return None


class AuthorizedLmsClient(OAuth2ClientCredentialsTransport):
    """The base of the Canvas and Blackboard clients (a connection with ``base_url``,
    ``calls_per_minute`` and a refresh token); a client defines ``_find_course(course)`` (the LMS's
    id of a course not in ``RemoteCourse``, or None) and ``_send_grade(record)``."""

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self._courses: dict[str, str | None] = {}

    def url(self, path: str) -> str:
        return self.configuration.base_url.rstrip("/") + path

    def calls_per_minute(self) -> int:
        return self.configuration.calls_per_minute

    def read_refresh_token(self, body, *, missing: str) -> str:
        """The refresh token of the authorization code's answer (kept out of the logs); ``missing``
        the error's message when there is none."""
        refresh_token = body.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            raise MalformedResponse(missing)
        self.add_secret(refresh_token)
        return refresh_token

    # Courses known to the LMS (cached for the run)

    def course_id(self, course: str) -> str | None:
        if course not in self._courses:
            known = RemoteCourse.objects.ids_for(self.configuration, [course]).get(course)
            self._courses[course] = known or self._find_course(course)
        return self._courses[course]

    # One call per record

    def send_learner_data(self, records):
        return [self._send_grade(record) for record in records]

    def send_subsection_grades(self, records):
        """Assessment-level data: a grade item of the course per graded subsection (created once; the
        module's docstring says which), the learner's grade in it: one call per grade."""
        return [self._send_grade(record) for record in records]

    def graded_course_id(self, course: str) -> str:
        """The LMS's id of the course of a grade; a course it does not have refuses the grade."""
        course_id = self.course_id(course)
        if course_id is None:
            raise RemoteRejected(f"{self.name} has no course {course}: export the course metadata first.")
        return course_id

    def outcome_of(self, record, send) -> Outcome:
        """The record's outcome of ``send()`` (the response, or an outcome of its own): a refused call
        fails the record; a token or credentials problem stops the run."""
        try:
            response = send()
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except TransmissionError as exc:
            return failed([record], exc)[0]
        if isinstance(response, Outcome):
            return response
        return Outcome(record, status_code=response.status_code, response_summary=self.summarize(response))
