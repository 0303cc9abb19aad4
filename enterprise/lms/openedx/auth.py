"""OAuth2 client-credentials tokens (JWT) of the Open edX LMS, in the project's one token store.

The LMS issues them at ``/oauth2/access_token`` (Django OAuth Toolkit) for
``grant_type=client_credentials`` and, with ``token_type=jwt``, as a JWT signed by the LMS that
every Open edX service accepts in ``Authorization: JWT <token>``. The token carries the identity
of the OAuth2 application's user (``preferred_username``).

``token_store`` is shared by every client of the process (backends are built per call, see
``enterprise.lms.get_catalog()``): one token serves them all, and the other workers through the
``AccessToken`` table, until shortly before it expires.
"""

from __future__ import annotations

import jwt

from enterprise.lms.openedx.app_settings import openedx_settings
from enterprise.transports.oauth2 import TokenStore


def jwt_claims(token: str) -> dict:
    """The payload of a JWT, unverified: the LMS verifies signatures, this side only reads who it names."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}


token_store = TokenStore(margin=lambda: float(openedx_settings.TOKEN_EXPIRY_MARGIN))
