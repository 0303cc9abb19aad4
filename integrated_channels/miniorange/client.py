"""miniOrange's admin user API, as its User API guide documents it.

Every call carries ``Customer-Key``, ``Timestamp`` (milliseconds) and ``Authorization`` =
lower-case hex SHA-512 of customer key + timestamp + API key — computed again for each try, so a
retried call is never a replayed one. Users come from ``POST /moas/api/admin/users/getall`` with
``{"customerKey", "batchSize", "batchNo"}`` (batches numbered from 1), answered
``{"status": "SUCCESS", "users": [...]}``; a ``"status": "FAILED"`` answer (miniOrange answers
refusals with HTTP 200 too) is an error carrying its ``message``.
"""

from __future__ import annotations

import hashlib
import time

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteRejected,
)
from integrated_channels.integrated_channel.transports.http import HttpTransport

GET_ALL = "/moas/api/admin/users/getall"


def authorization(customer_key: str, timestamp: str, api_key: str) -> str:
    return hashlib.sha512(f"{customer_key}{timestamp}{api_key}".encode()).hexdigest()


class MiniOrangeClient(HttpTransport):
    name = "miniOrange"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.add_secret(configuration.api_key)

    def headers(self) -> dict[str, str]:
        key = self.configuration.customer_key.strip()
        stamp = str(int(time.time() * 1000))
        return {
            "Customer-Key": key,
            "Timestamp": stamp,
            "Authorization": authorization(key, stamp, self.configuration.api_key),
        }

    def post(self, path: str, body: dict, *, what: str) -> dict:
        url = f"{self.configuration.base_url.rstrip('/')}{path}"
        response = self.retrying(lambda: self.attempt("POST", url, json=body, headers=self.headers()))
        answer = self.parse_json(response, what=what)
        if not isinstance(answer, dict):
            raise MalformedResponse(f"{self.name} answered {what} with {type(answer).__name__}, not an object.")
        if answer.get("status") != "SUCCESS":
            message = self.redact(str(answer.get("message") or answer.get("status") or "no status"))
            error = AuthenticationFailed if "auth" in message.lower() or "key" in message.lower() else RemoteRejected
            raise error(f"{self.name} refused {what}: {message}", remote_message=message, url=url)
        return answer

    def users(self, batch: int, size: int) -> list:
        answer = self.post(
            GET_ALL,
            {"customerKey": self.configuration.customer_key.strip(), "batchSize": size, "batchNo": batch},
            what=f"batch {batch}",
        )
        users = answer.get("users")
        if not isinstance(users, list):
            # The keys only (never values): the list's key is the part of this answer no public page shows
            # (decision 0465), so an answer of another shape says what it holds instead.
            keys = ", ".join(sorted(str(key) for key in answer)) or "none"
            raise MalformedResponse(
                f"{self.name} answered batch {batch} without a list of users under 'users' (keys: {keys})."
            )
        return users
