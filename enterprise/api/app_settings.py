"""Settings of the REST API, read from ``settings.ENTERPRISE_API`` (a dict).

Every name, its default and what it does:

JWT_ENABLED
    Accept ``Authorization: JWT <token>`` and ``Authorization: Bearer <token>`` signed by the
    host LMS (default False). Needs ``enterprise.api.v1.authentication.JwtAuthentication`` in
    ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``; while False that class ignores every
    header, so it may stay listed.
JWT_ISSUER
    The ``iss`` every token must carry, e.g. ``https://courses.example.com/oauth2`` (Open edX:
    ``JWT_AUTH["JWT_ISSUER"]``). Required when enabled.
JWT_AUDIENCE
    The ``aud`` every token must name (Open edX: ``JWT_AUTH["JWT_AUDIENCE"]``). Required when
    enabled.
JWT_SECRET_KEY
    Shared secret of HS256 tokens (Open edX: ``JWT_AUTH["JWT_SECRET_KEY"]``). Empty: HS256 tokens
    are refused. Keep it out of version control (an environment variable).
JWT_PUBLIC_KEYS
    Public keys of RS256 tokens: PEM strings, JWK dicts, or one JWK set as a JSON string (Open
    edX: ``JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"]``). A token whose header names a ``kid`` is
    checked with that key only; otherwise any key may verify it (rotation). Empty: RS256 tokens
    are refused.
JWT_LEEWAY
    Seconds of clock difference allowed on ``exp`` / ``nbf`` / ``iat`` (default 0).
JWT_USERNAME_CLAIMS
    Claims naming the user, first present wins (default ``preferred_username``, ``username``).
JWT_CREATE_USERS
    Create a missing user (username and ``email`` from the token, no usable password) instead of
    refusing the token (default False). The token's ``administrator`` claim never makes a user
    staff: roles are this project's (decision 0050).
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "JWT_ENABLED": False,
    "JWT_ISSUER": "",
    "JWT_AUDIENCE": "",
    "JWT_SECRET_KEY": "",
    "JWT_PUBLIC_KEYS": [],
    "JWT_LEEWAY": 0,
    "JWT_USERNAME_CLAIMS": ["preferred_username", "username"],
    "JWT_CREATE_USERS": False,
}

api_settings = AppSettings("ENTERPRISE_API", DEFAULTS)
