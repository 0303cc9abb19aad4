"""Typed errors of the channel framework and its channels.

Everything raised on purpose derives from ``ChannelError`` (itself an ``EnterpriseError``).
``transient`` says whether trying again later can help: it is what the one retry policy
(``enterprise.transports.retry``) reads, with ``retry_after`` (the seconds a remote asked for).
Errors about a remote call carry what an operator needs to act — the HTTP status, the remote
system's own message, a short summary of its answer, the URL — and also inherit the matching
builtin or ``requests`` exception, so callers may catch either (``except requests.HTTPError``
works on a ``RemoteAPIError``).

Messages never hold a secret: transports redact their credentials and tokens from every text
taken from a remote answer before it reaches an exception (see ``transports.http``).
"""

from __future__ import annotations

import requests

from enterprise.exceptions import EnterpriseError


class ChannelError(EnterpriseError):
    """Base of every error the channel framework and the channels raise on purpose."""

    code = "channel_error"
    default_message = "Integrated channel operation failed."


class ChannelConfigurationError(ChannelError, ValueError):
    """A channel configuration cannot be used as it is (missing field, unknown channel)."""

    code = "configuration_error"


class OperationNotSupported(ChannelConfigurationError, NotImplementedError):
    """A client was asked to send records of an operation it does not support (see ``ChannelClient.supports``)."""

    code = "operation_not_supported"


class RunLocked(ChannelError):
    """Another run of the same configuration is in progress (and its heartbeat is fresh)."""

    code = "run_locked"
    transient = True

    def __init__(self, message: str | None = None, *, holder=None, **context):
        self.holder = holder
        super().__init__(message or "Another run of this configuration is in progress.", **context)


class RunLockLost(ChannelError):
    """This run was declared abandoned by another process (no heartbeat for too long)."""

    code = "run_lock_lost"
    default_message = "The run lost its lock: it was declared abandoned after missing its heartbeats."


class TooManyFailures(ChannelError):
    """A run stopped because too many records in a row failed with transient errors."""

    code = "too_many_failures"
    transient = True


class TransmissionError(ChannelError):
    """A call to a remote system failed. ``status_code`` is None when there was no HTTP answer."""

    code = "transmission_failed"
    default_message = "The remote system did not accept the data."

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        remote_message: str = "",
        response_summary: str = "",
        url: str = "",
        retry_after: float | None = None,
        **context,
    ):
        self.status_code = status_code
        self.retry_after = retry_after  # seconds the remote asked to wait (Retry-After), when it did
        self.remote_message = remote_message
        self.response_summary = response_summary
        self.url = url
        super().__init__(message, status_code=status_code, url=url, **context)


class RemoteTimeout(TransmissionError, TimeoutError):
    code = "timeout"
    transient = True
    default_message = "The remote system did not answer in time."


class RemoteConnectionError(TransmissionError, ConnectionError):
    code = "connection_error"
    transient = True
    default_message = "The remote system could not be reached."


class MalformedResponse(TransmissionError, ValueError):
    """The remote system answered, but not with what its API documents (e.g. broken JSON)."""

    code = "malformed_response"
    default_message = "The remote system's answer could not be understood."


class RemoteAPIError(TransmissionError, requests.HTTPError):
    """The remote system answered with an HTTP error status."""

    code = "http_error"

    def __init__(self, message: str | None = None, *, response: requests.Response | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.response = response  # what requests.HTTPError callers expect
        self.request = getattr(response, "request", None)


class RemoteRejected(RemoteAPIError):
    """A 4xx answer other than 401/403/429: this record is refused; sending it again as is won't help."""

    code = "rejected"


class InactiveLearner(RemoteRejected):
    """The remote system says the learner's account there is inactive (e.g. a former employee)."""

    code = "inactive_learner"


class AuthenticationFailed(RemoteAPIError, PermissionError):
    """Credentials or token refused (401 after one token refresh, 403, or the token endpoint refused)."""

    code = "authentication_failed"
    default_message = "The remote system refused the credentials."


class RateLimited(RemoteAPIError):
    """429 still answered after the retries, or a Retry-After longer than MAX_RETRY_WAIT."""

    code = "rate_limited"
    transient = True


class RemoteServerError(RemoteAPIError):
    """5xx still answered after the retries."""

    code = "server_error"
    transient = True


class SoapFault(RemoteAPIError):
    """A SOAP service answered a fault. ``fault_code`` / ``fault_string`` are the service's own."""

    code = "soap_fault"

    def __init__(self, message: str | None = None, *, fault_code: str = "", fault_string: str = "", **kwargs):
        self.fault_code = fault_code
        self.fault_string = fault_string
        kwargs.setdefault("remote_message", fault_string)
        super().__init__(message or f"SOAP fault {fault_code}: {fault_string}", **kwargs)


class SoapAuthenticationFailed(SoapFault, AuthenticationFailed):
    """A WS-Security fault (failed authentication, invalid security header, expired message): the run stops."""

    code = "authentication_failed"


class SoapClientFault(SoapFault, RemoteRejected):
    """A soap:Client fault: the request is refused as it is."""

    code = "soap_client_fault"


class SoapServerFault(SoapFault, RemoteServerError):
    """A soap:Server fault: the service failed; trying again later may help."""

    code = "soap_server_fault"


class RerunRefused(ChannelError):
    """A run that may not be re-run: not the latest of its connection and operation, or still in progress."""

    code = "rerun_refused"


class OperationRefused(ChannelError, ValueError):
    """An operation a connection does not offer, or cannot run as asked (e.g. an unschedulable one)."""

    code = "operation_refused"
