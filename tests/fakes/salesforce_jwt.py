"""Salesforce's side of the OAuth 2.0 JWT bearer flow, shared by the Salesforce fakes.

As Salesforce's "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration" describes it: a form
POST with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and ``assertion``; the
assertion is a JWT signed with RS256 by the key of the certificate uploaded to the connected app
(checked here with its public key); ``iss`` is the app's consumer key, ``sub`` a username
pre-authorized for the app, ``aud`` https://login.salesforce.com (https://test.salesforce.com for a
sandbox), ``exp`` in the future and within a few minutes. Failures answer 400 ``invalid_grant`` (or
``invalid_client_id`` for an unknown consumer key) with a description, as Salesforce does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jwt

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_AHEAD = 300  # Salesforce asks for an exp within 3 minutes; a little clock skew is tolerated


def key_pair(bits: int = 2048) -> tuple[str, str]:
    """(private key PEM, public key PEM) of a fresh RSA key, as a connected app's certificate would hold."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class JwtApp:
    """A connected app with a certificate: its consumer key, public key and pre-authorized usernames."""

    consumer_key: str
    public_key: str
    usernames: set[str] = field(default_factory=set)
    audience: str = "https://login.salesforce.com"
    now: float | None = None  # the fake's clock; None: the real time
    seen: list[dict] = field(default_factory=list)  # the verified claims

    def check(self, form: dict) -> tuple[int, dict] | None:
        """None when the assertion is good, else Salesforce's error answer."""
        token = form.get("assertion") or ""
        if not token:
            return 400, {"error": "invalid_request", "error_description": "assertion is required"}
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return 400, {"error": "invalid_grant", "error_description": "invalid assertion"}
        if header.get("alg") != "RS256":
            return 400, {"error": "invalid_grant", "error_description": "invalid assertion: RS256 expected"}
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_aud": False, "require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.InvalidSignatureError:
            return 400, {"error": "invalid_grant", "error_description": "invalid assertion: signature"}
        except jwt.InvalidTokenError as exc:
            return 400, {"error": "invalid_grant", "error_description": f"invalid assertion: {exc}"}
        now = time.time() if self.now is None else self.now
        if claims["iss"] != self.consumer_key:
            return 400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        if claims["aud"] != self.audience:
            return 400, {"error": "invalid_grant", "error_description": "audience is invalid"}
        if not isinstance(claims["exp"], int) or claims["exp"] <= now:
            return 400, {"error": "invalid_grant", "error_description": "expired authorization code"}
        if claims["exp"] > now + MAX_AHEAD:
            return 400, {"error": "invalid_grant", "error_description": "exp is too far in the future"}
        if claims["sub"] not in self.usernames:
            return 400, {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
        self.seen.append(claims)
        return None
