"""Cornerstone client: completions to each learner's callback, with the learner's session token.

POST ``{portal}{callback path}{completion path}?sessionToken=…`` with HTTP Basic (the provider's
key and secret) and a JSON array of completions. Learners who share a callback and session token
(rare) go in one array; otherwise one call per completion, the minimum: each learner's session
is their own. Courses are not sent: Cornerstone polls the course list (``views``); a content run
publishes the list, so its "send" is recording what the list now offers.

A 401/403 on a completion is about that learner's session token (expired, or from another
portal): that record fails, saying the learner must launch the course from Cornerstone again.
"""

from __future__ import annotations

from enterprise import redaction
from integrated_channels.cornerstone.models import CornerstoneLearnerSession
from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, RemoteRejected, TransmissionError
from integrated_channels.integrated_channel.transports.base import Outcome, failed, succeeded
from integrated_channels.integrated_channel.transports.http import HttpTransport

LEARNERS_PER_BATCH = 100


class CornerstoneClient(HttpTransport):
    name = "Cornerstone"

    def learner_batch_size(self) -> int:
        return LEARNERS_PER_BATCH

    def content_batch_size(self) -> int:
        return 1000

    def _sessions(self, records) -> dict[tuple[int, str], tuple[str, str]]:
        rows = CornerstoneLearnerSession.objects.filter(
            configuration_id=self.configuration.pk,
            user_id__in={record.user_id for record in records},
            course_id__in={record.course_id for record in records},
        ).values_list("user_id", "course_id", "callback_path", "session_token")
        return {(user, course): (path, token) for user, course, path, token in rows}

    def send_learner_data(self, records):
        sessions = self._sessions(records)
        groups: dict[tuple[str, str], list] = {}
        outcomes = []
        for record in records:
            session = sessions.get((record.user_id, record.course_id))
            if session is None:
                error = RemoteRejected("The learner's Cornerstone session is gone: they must launch the course again.")
                outcomes.append(Outcome(record, error=error))
            else:
                groups.setdefault(session, []).append(record)
        for (path, token), group in groups.items():
            outcomes += self._post(path, token, group)
        return outcomes

    def _post(self, path: str, token: str, records) -> list[Outcome]:
        config = self.configuration
        # A redactor for this call: the connection's secrets and this learner's session token. Adding every
        # learner's token to one redactor would rebuild its forms at a cost growing with the square of the
        # tokens at each call (``Redactor.forms``); no text of this call can hold another learner's token.
        self.redactor = redaction.for_configuration(config)
        self.redactor.add(token)
        url = config.base_url.rstrip("/") + path.rstrip("/") + config.completion_path
        try:
            response = self.request(
                "POST",
                url,
                params={"sessionToken": token},
                json=[record.payload for record in records],
                auth=(config.client_key, config.client_secret),
            )
        except AuthenticationFailed as exc:
            error = RemoteRejected(
                f"Cornerstone refused the learner's session ({exc.remote_message or exc.status_code}): the learner "
                "must launch the course from Cornerstone again, or the provider key is wrong.",
                status_code=exc.status_code,
                response_summary=exc.response_summary,
            )
            return failed(records, error)
        except TransmissionError as exc:
            return failed(records, exc)
        return succeeded(records, status_code=response.status_code, summary=self.summarize(response))

    def send_content_metadata(self, records):
        return succeeded(records, status_code=None, summary="published in the course list Cornerstone polls")
