"""The one exception handler of the REST API: every error body has the same shape.

``{"errors": [{"field": …, "row": …, "code": …, "message": …}]}``: ``field`` names the input
the error is about (or is null), ``row`` is the 1-based row of a bulk submission (or null).
DRF's own errors (validation, authentication, permission, not found, throttling) and the typed
errors of ``enterprise.exceptions`` are mapped here, so views never build error bodies.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from enterprise import exceptions as enterprise_errors

#: Which input a typed error is about.
_FIELDS = {
    enterprise_errors.CourseNotFound: "course_id",
    enterprise_errors.ProgramNotFound: "program_id",
    enterprise_errors.InvalidCourseMode: "mode",
    enterprise_errors.EnrollmentTargetError: "course_id",
    enterprise_errors.UploadRefused: "file",
    enterprise_errors.InvalidEmail: "email",
    enterprise_errors.UserNotFound: "user",
    enterprise_errors.NotificationTemplateMissing: "notify",
}


def error(message: str, *, code: str, field: str | None = None, row: int | None = None) -> dict:
    return {"field": field, "row": row, "code": code, "message": str(message)}


def _flatten(detail, field: str | None = None, row: int | None = None) -> list[dict]:
    """Turn a DRF ``ErrorDetail`` tree into flat error entries."""
    if isinstance(detail, dict):
        entries = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else (f"{field}.{key}" if field else key)
            entries += _flatten(value, name or field, row)
        return entries
    if isinstance(detail, list):
        entries = []
        for index, value in enumerate(detail):
            # A list of dicts is a list of rows (bulk input); a list of strings is several messages.
            entries += _flatten(value, field, index + 1 if isinstance(value, dict) else row)
        return entries
    return [error(detail, code=getattr(detail, "code", "invalid"), field=field, row=row)]


def _status_of(exc: enterprise_errors.EnterpriseError) -> int:
    if isinstance(exc, (enterprise_errors.LMSUnavailable, enterprise_errors.SubmissionBusy)):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    if isinstance(exc, (enterprise_errors.LinkConflict, enterprise_errors.PendingEmailConflict)):
        return status.HTTP_409_CONFLICT
    if isinstance(exc, enterprise_errors.FeedbackNotSupported):
        return status.HTTP_501_NOT_IMPLEMENTED
    if isinstance(exc, enterprise_errors.UploadTooLarge):
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return status.HTTP_400_BAD_REQUEST


def _field_of(exc) -> str | None:
    for cls in type(exc).__mro__:
        if cls in _FIELDS:
            return _FIELDS[cls]
    return None


def exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: map an exception to a response, or return None (a 500)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, enterprise_errors.EnterpriseError):
        set_rollback()
        body = {"errors": [error(exc.message, code=exc.code, field=_field_of(exc))]}
        return Response(body, status=_status_of(exc))
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        entries = _flatten(exc.detail)
    else:
        entries = [error(exc.detail, code=getattr(exc.detail, "code", exc.default_code))]
    set_rollback()
    return Response({"errors": entries}, status=exc.status_code, headers=headers)
