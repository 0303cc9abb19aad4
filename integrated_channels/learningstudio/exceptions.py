"""Typed errors of the LearningStudio channel, on top of the framework's."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    RemoteAPIError,
    RemoteRejected,
    RemoteServerError,
    TransmissionError,
)


class SoapFault(RemoteAPIError):
    """The service answered a SOAP fault. ``fault_code`` / ``fault_string`` are the service's own."""

    code = "soap_fault"

    def __init__(self, message: str | None = None, *, fault_code: str = "", fault_string: str = "", **kwargs):
        self.fault_code = fault_code
        self.fault_string = fault_string
        kwargs.setdefault("remote_message", fault_string)
        super().__init__(message or f"SOAP fault {fault_code}: {fault_string}", **kwargs)


class SoapAuthenticationFailed(SoapFault, AuthenticationFailed):
    """wsse:FailedAuthentication (wrong SIS username/password, stale or replayed token): the run stops."""

    code = "authentication_failed"


class SoapClientFault(SoapFault, RemoteRejected):
    """A soap:Client fault: the request is refused as it is."""

    code = "soap_client_fault"


class SoapServerFault(SoapFault, RemoteServerError):
    """A soap:Server fault: the service failed; trying again later may help."""

    code = "soap_server_fault"


class ResultFailed(RemoteRejected):
    """A person or membership ``Result`` other than Success (LearningStudio's error code and message)."""

    code = "learningstudio_result"

    def __init__(self, message: str | None = None, *, result_code: str = "", **kwargs):
        self.result_code = result_code
        super().__init__(message, **kwargs)


class InvalidPersonData(TransmissionError, ValueError):
    """A learner attribute holds a value LearningStudio would refuse: nothing is sent for the record."""

    code = "invalid_learner_data"
    default_message = "A learner attribute holds a value LearningStudio would refuse."
