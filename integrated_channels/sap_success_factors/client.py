"""SAP SuccessFactors client: the OAuth token and the OCN endpoints, mapped onto the shared OAuth 2 transport.

- Token: POST ``learning/oauth-api/rest/v1/token``, Basic auth (client id, secret), JSON body
  ``{"grant_type": "client_credentials", "scope": {userId, companyId, userType, resourceType}}``.
- Admin mode: POST the learning event(s) to ``…/learningevent-service/v1/OCNLearningEvents`` with
  the configuration's token; one event is sent as an object, several (``events_per_call``) as an
  array. When SAP refuses an array, its events are sent again one by one so that only the refused
  ones fail.
- User mode: POST each event to ``…/ocn/v1/current-user/item/learning-event`` with a token whose
  scope is the learner (userType ``user``), cached per learner until shortly before expiry.
- Courses: POST ``{"ocnCourses": [...]}`` to ``…/ocn/v1/OcnCourses``.
A refusal whose message says the user account is inactive becomes ``InactiveLearner``: the
framework unlinks that learner.
"""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    InactiveLearner,
    RemoteRejected,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports.base import Outcome, failed, succeeded
from integrated_channels.integrated_channel.transports.oauth2 import (
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    TokenRequestFailed,
    owner_of,
)

TOKEN_PATH = "learning/oauth-api/rest/v1/token"  # noqa: S105 (a path, not a secret)
ADMIN_COMPLETION_PATH = "learning/odatav4/public/admin/learningevent-service/v1/OCNLearningEvents"
USER_COMPLETION_PATH = "learning/odatav4/public/admin/ocn/v1/current-user/item/learning-event"
COURSES_PATH = "learning/odatav4/public/admin/ocn/v1/OcnCourses"
INACTIVE_MARKER = "user account is inactive"
COURSES_PER_CALL = 100


class SAPSuccessFactorsClient(OAuth2ClientCredentialsTransport):
    name = "SAP SuccessFactors"
    default_retry_after = 300.0  # SAP's advice for a 429 without Retry-After

    def url(self, path: str) -> str:
        return self.configuration.base_url.rstrip("/") + "/" + path

    def calls_per_minute(self) -> int:
        return self.configuration.calls_per_minute

    def remote_account(self) -> tuple[str, str]:
        """SAP counts calls per tenant: every configuration of one (host, company) shares the limit."""
        return self.host_of(self.configuration.base_url), self.configuration.company_id

    def learner_batch_size(self) -> int:
        return 1 if self.configuration.user_mode else self.configuration.events_per_call

    def content_batch_size(self) -> int:
        return COURSES_PER_CALL

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=self.url(TOKEN_PATH),
            client_id=config.client_id,
            client_secret=config.client_secret,
            credentials="basic",
            body="json",
            params={
                "scope": {
                    "userId": subject or config.sap_user_id,
                    "companyId": config.company_id,
                    "userType": "user" if subject else config.user_type,
                    "resourceType": "learning_public_api",
                },
            },
            owner=owner_of(config),
            subject=subject,
            purpose=(
                f"learner {subject} (SAP configuration {config.pk}, {config.name!r})"
                if subject
                else f"SAP configuration {config.pk} ({config.name!r}) as {config.user_type} {config.sap_user_id}"
            ),
        )

    def rejection(self, message: str, **kwargs):
        response = kwargs.get("response")
        text = f"{kwargs.get('remote_message', '')} {getattr(response, 'text', '')}".lower()
        if INACTIVE_MARKER in text:
            return InactiveLearner(message, **kwargs)
        return RemoteRejected(message, **kwargs)

    # Learner data

    def send_learner_data(self, records):
        if self.configuration.user_mode:
            return [self._post_as_learner(record) for record in records]
        return self._post_events(records)

    def _post_events(self, records) -> list[Outcome]:
        payload = records[0].payload if len(records) == 1 else [record.payload for record in records]
        try:
            response = self.authorized_request("POST", self.url(ADMIN_COMPLETION_PATH), json=payload)
            self._check_body(response, what="the learning events")
        except (TokenRequestFailed, AuthenticationFailed):
            raise  # no event can be sent with this configuration now: the run stops
        except RemoteRejected as exc:
            if len(records) > 1:  # find out which events SAP refuses: one call each
                return [outcome for record in records for outcome in self._post_events([record])]
            return failed(records, exc)
        except TransmissionError as exc:
            return failed(records, exc)
        return self._succeeded(records, response)

    def _post_as_learner(self, record) -> Outcome:
        try:
            response = self.authorized_request(
                "POST", self.url(USER_COMPLETION_PATH), json=record.payload, subject=record.remote_id
            )
            self._check_body(response, what="the learning event")
        except TokenRequestFailed as exc:
            if exc.status_code == 401:
                raise  # the client id / secret are refused: nothing can be sent
            error = exc.__cause__ if isinstance(exc.__cause__, InactiveLearner) else exc  # refused at the token
            return Outcome(record, error=error, status_code=exc.status_code, response_summary=exc.response_summary)
        except TransmissionError as exc:  # this learner's token or event refused
            return Outcome(record, error=exc, status_code=exc.status_code, response_summary=exc.response_summary)
        return self._succeeded([record], response)[0]

    # Courses

    def send_content_metadata(self, records):
        try:
            response = self.authorized_request(
                "POST", self.url(COURSES_PATH), json={"ocnCourses": [record.payload for record in records]}
            )
            self._check_body(response, what="the courses")
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except RemoteRejected as exc:
            if len(records) > 1:
                return [outcome for record in records for outcome in self.send_content_metadata([record])]
            return failed(records, exc)
        except TransmissionError as exc:
            return failed(records, exc)
        return self._succeeded(records, response)

    # Answers

    def _check_body(self, response, *, what: str) -> None:
        """A 2xx answer with a body must be JSON (OData); an empty body is fine."""
        if response.content.strip():
            self.parse_json(response, what=what)

    def _succeeded(self, records, response) -> list[Outcome]:
        return succeeded(records, status_code=response.status_code, summary=self.summarize(response))
