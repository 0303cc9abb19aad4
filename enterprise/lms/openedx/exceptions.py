"""Typed errors of the Open edX HTTP client.

All derive from ``enterprise.exceptions.LMSError`` (so callers of the LMS interfaces catch one
base) and from the matching ``requests`` exception or builtin, so code that already catches
``requests.HTTPError``, ``TimeoutError`` or ``PermissionError`` keeps working. ``transient`` says
whether trying again later can help. Each carries the method, URL, status and response of the
failed call; none carries a credential.
"""

from __future__ import annotations

import requests

from enterprise.exceptions import LMSError, LMSUnavailable


class OpenEdXError(LMSError):
    """Base of the errors of the Open edX backends."""

    code = "openedx_error"

    def __init__(self, message=None, *, method="", url="", status_code=None, response=None, **context):
        self.method = method
        self.url = url
        self.status_code = status_code
        self.response = response
        super().__init__(message, method=method, url=url, status_code=status_code, **context)

    @property
    def response_body(self) -> str:
        """The start of the answer's body, for logs and error reports."""
        if self.response is None:
            return ""
        return self.response.text[:500]


class OpenEdXConfigurationError(OpenEdXError):
    """A setting is missing or names an unknown API user: fix the configuration, retrying cannot help."""

    code = "openedx_configuration"


class OpenEdXHTTPError(OpenEdXError, requests.HTTPError):
    """The service answered with an error status that retrying will not change (4xx)."""

    code = "openedx_http_error"

    def __init__(self, message=None, **kwargs):
        super().__init__(message, **kwargs)
        # requests.RequestException.__init__ resets ``response``; put it back.
        self.response = kwargs.get("response")


class OpenEdXAuthError(OpenEdXHTTPError, PermissionError):
    """Credentials refused (token endpoint, 401 after one renewal) or the identity lacks access (403)."""

    code = "openedx_auth"


class OpenEdXNotFound(OpenEdXHTTPError, LookupError):
    code = "openedx_not_found"


class OpenEdXUnavailable(OpenEdXHTTPError, LMSUnavailable):
    """429, 5xx, a timeout or a refused connection, still failing after the retries; try later.

    ``retry_after`` holds the seconds the server asked for, when it did.
    """

    transient = True
    code = "openedx_unavailable"

    def __init__(self, message=None, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, retry_after=retry_after, **kwargs)


class OpenEdXTimeout(OpenEdXUnavailable, TimeoutError):
    code = "openedx_timeout"


class OpenEdXResponseError(OpenEdXError, ValueError):
    """The answer is not what the API documents (not JSON, a field missing, a foreign ``next`` link)."""

    code = "openedx_bad_response"
