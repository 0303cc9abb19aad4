"""JWT authentication of the REST API: tokens signed by the host LMS, when configured.

Open edX signs JWTs for its services (HS256 with a shared secret, RS256 with keys it publishes as a
JWK set) with claims such as ``preferred_username``, ``email``, ``administrator``, ``exp``,
``iss`` and ``aud``. A request with ``Authorization: JWT <token>`` or ``Authorization: Bearer
<token>`` is authenticated as the user of that username when the signature, expiry, issuer and
audience all check out (``settings.ENTERPRISE_API``, see ``enterprise.api.app_settings``); any
failure is a 401 in the API's error body. Disabled (the default), the class ignores every header.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from enterprise.api.app_settings import api_settings

if TYPE_CHECKING:
    import jwt

# PyJWT (and cryptography under it, ~7 MB) is imported by the first JWT to check, not with this module,
# which DRF's APIView loads in every process with the URLconf: with JWT_ENABLED off it never is (decision 0575).

KEYWORDS = ("jwt", "bearer")
HMAC_ALGORITHMS = ("HS256",)
RSA_ALGORITHMS = ("RS256",)


def _public_keys() -> list[tuple[str | None, object]]:
    """``(kid, key)`` pairs of ``JWT_PUBLIC_KEYS`` (PEM strings, JWK dicts or a JWK set in JSON)."""
    import jwt

    configured = api_settings.JWT_PUBLIC_KEYS
    if isinstance(configured, str):
        configured = [configured]
    keys = []
    try:
        for item in configured or ():
            if isinstance(item, str) and item.lstrip().startswith("{"):
                item = json.loads(item)
            if isinstance(item, dict) and "keys" in item:
                keys += [(jwk.key_id, jwk.key) for jwk in jwt.PyJWKSet.from_dict(item).keys]
            elif isinstance(item, dict):
                jwk = jwt.PyJWK.from_dict(item)
                keys.append((jwk.key_id, jwk.key))
            else:
                keys.append((None, item))
    except (ValueError, jwt.PyJWKError, jwt.PyJWKSetError, jwt.InvalidKeyError) as exc:
        raise ImproperlyConfigured(f"settings.ENTERPRISE_API['JWT_PUBLIC_KEYS']: not a key: {exc}") from exc
    return keys


def _failed(message: str, code: str = "invalid_token") -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code=code)


class JwtAuthentication(authentication.BaseAuthentication):
    """``Authorization: JWT <token>`` / ``Bearer <token>``, signed by the host LMS."""

    def authenticate(self, request):
        if not api_settings.JWT_ENABLED:
            return None
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise _failed("Invalid JWT header: expected one token after the keyword.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise _failed("Invalid JWT: not ASCII.") from None
        claims = self.decode(token)
        return self.user_for(claims), claims

    def authenticate_header(self, request):
        return 'JWT realm="api"' if api_settings.JWT_ENABLED else None

    # -- the token -----------------------------------------------------------------------------

    @staticmethod
    def _check_configuration() -> None:
        missing = [name for name in ("JWT_ISSUER", "JWT_AUDIENCE") if not getattr(api_settings, name)]
        if not (api_settings.JWT_SECRET_KEY or api_settings.JWT_PUBLIC_KEYS):
            missing.append("JWT_SECRET_KEY or JWT_PUBLIC_KEYS")
        if missing:
            raise ImproperlyConfigured(f"settings.ENTERPRISE_API: JWT_ENABLED needs {', '.join(missing)}.")

    def _candidate_keys(self, header: dict) -> list:
        algorithm = header.get("alg")
        if algorithm in HMAC_ALGORITHMS:
            return [api_settings.JWT_SECRET_KEY] if api_settings.JWT_SECRET_KEY else []
        if algorithm in RSA_ALGORITHMS:
            keys = _public_keys()
            kid = header.get("kid")
            if kid is not None and any(key_id == kid for key_id, _ in keys):
                return [key for key_id, key in keys if key_id == kid]
            return [key for _, key in keys]
        return []

    def decode(self, token: str) -> dict:
        import jwt

        self._check_configuration()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _failed("Invalid JWT: it cannot be decoded.") from None
        keys = self._candidate_keys(header)
        if not keys:
            raise _failed(f"Invalid JWT: algorithm {header.get('alg')!r} is not accepted.")
        failure: jwt.InvalidTokenError | None = None
        for key in keys:
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=[header["alg"]],
                    audience=api_settings.JWT_AUDIENCE,
                    issuer=api_settings.JWT_ISSUER,
                    leeway=api_settings.JWT_LEEWAY,
                    options={"require": ["exp", "iss", "aud"]},
                )
            except jwt.InvalidSignatureError as exc:
                failure = exc  # another key may verify it
            except jwt.ExpiredSignatureError:
                raise _failed("The JWT has expired.", code="token_expired") from None
            except jwt.InvalidAudienceError:
                raise _failed("The JWT is not meant for this service (audience).") from None
            except jwt.InvalidIssuerError:
                raise _failed("The JWT was not issued by the configured issuer.") from None
            except jwt.MissingRequiredClaimError as exc:
                raise _failed(f"The JWT has no {exc.claim!r} claim.") from None
            except (jwt.InvalidTokenError, ValueError, TypeError):
                raise _failed("Invalid JWT.") from None
        raise _failed("Invalid JWT: the signature does not verify.") from failure

    # -- the user ------------------------------------------------------------------------------

    def user_for(self, claims: dict):
        username = next(
            (claims[name] for name in api_settings.JWT_USERNAME_CLAIMS if isinstance(claims.get(name), str)),
            "",
        )
        if not username:
            raise _failed("The JWT names no user.")
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            if not api_settings.JWT_CREATE_USERS:
                raise _failed("The JWT's user is unknown here.", code="unknown_user") from None
            email = claims.get("email") if isinstance(claims.get("email"), str) else ""
            user, created = User._default_manager.get_or_create(
                **{User.USERNAME_FIELD: username}, defaults={"email": email}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        if not user.is_active:
            raise _failed("The JWT's user is inactive.", code="user_inactive")
        return user


class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
    """drf-spectacular: document the JWT scheme (imported with the authentication classes)."""

    target_class = "enterprise.api.v1.authentication.JwtAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT signed by the host LMS, when the deployment enables it "
                "(`Authorization: Bearer <token>` or `Authorization: JWT <token>`)."
            ),
        }
