"""Typed errors of the LearningStudio channel, on top of the framework's (SOAP faults: ``transports.soap``)."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import (
    RemoteRejected,
    SoapAuthenticationFailed,
    SoapClientFault,
    SoapFault,
    SoapServerFault,
    TransmissionError,
)

__all__ = [
    "InvalidPersonData",
    "ResultFailed",
    "SoapAuthenticationFailed",
    "SoapClientFault",
    "SoapFault",
    "SoapServerFault",
]


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
