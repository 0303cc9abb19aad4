"""The LRS client: POST /statements over the framework's HTTP transport (decision 0070).

Basic auth with the configuration's key and secret, ``X-Experience-API-Version``, one JSON array
of the statements of up to ``enrollments_per_call`` enrollments per call. Timeouts, retries on
429/5xx honouring Retry-After and typed errors come from ``HttpTransport``. A 401/403 stops the
run (no statement can be sent with these credentials); an array the LRS refuses (400, 409) is
sent again one enrollment per call so only the refused enrollments fail.
"""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteRejected,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports.base import Outcome, failed
from integrated_channels.integrated_channel.transports.http import HttpTransport
from integrated_channels.xapi import statements as statement_store
from integrated_channels.xapi.models import XAPIStatement


class XAPIClient(HttpTransport):
    name = "xAPI LRS"

    def learner_batch_size(self) -> int:
        return self.configuration.enrollments_per_call

    def remote_message(self, response) -> str:
        """LRSs answer errors as JSON (ralph: ``{"detail": …}``) or plain text."""
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        if isinstance(body, dict):
            for key in ("detail", "message", "error", "errors"):
                if body.get(key):
                    value = body[key]
                    return value if isinstance(value, str) else str(value)
        return super().remote_message(response)

    def send_learner_data(self, records) -> list[Outcome]:
        statements = [statement for record in records for statement in record.payload]
        config = self.configuration
        try:
            response = self.request(
                "POST",
                config.endpoint,
                json=statements,
                auth=(config.key, config.secret),
                headers={"X-Experience-API-Version": config.version},
            )
            if response.status_code == 200:
                body = self.parse_json(response, what="the statements")
                if not isinstance(body, list):
                    return failed(records, self._malformed(response))
        except AuthenticationFailed:
            raise  # key or secret refused: nothing can be sent with this configuration
        except RemoteRejected as exc:
            if len(records) > 1:
                return [outcome for record in records for outcome in self.send_learner_data([record])]
            return failed(records, exc)
        except TransmissionError as exc:
            return failed(records, exc)
        # Accepted by the LRS: kept in the statement store too (decision 0232).
        statement_store.store(config.customer_id, statements, source=XAPIStatement.Source.SENT, run=self.run)
        summary = self.summarize(response)
        return [Outcome(record, status_code=response.status_code, response_summary=summary) for record in records]

    def _malformed(self, response):
        return MalformedResponse(
            f"{self.name} answered the statements with JSON that is not a list of statement ids: "
            f"{self.excerpt(response)}",
            status_code=response.status_code,
            response_summary=self.summarize(response),
            url=response.url,
        )
