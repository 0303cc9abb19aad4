"""Typed errors of the SCIM service provider; each knows its HTTP status and SCIM ``scimType`` (RFC 7644 §3.12)."""

from __future__ import annotations


class ScimError(Exception):
    """Base of the app's errors: answered as a SCIM Error message."""

    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type


class Unauthorized(ScimError):
    status = 401


class NotFound(ScimError):
    status = 404


class Conflict(ScimError):
    status = 409
    scim_type = "uniqueness"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class PreconditionFailed(ScimError):
    status = 412


class NotImplementedHere(ScimError):
    status = 501
