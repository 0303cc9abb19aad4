"""How a Salesforce connection gets its token: client credentials, or the OAuth 2.0 JWT bearer flow.

JWT bearer (RFC 7523, Salesforce's "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration";
decision 0403): the connected app holds a certificate; the connection keeps the consumer key and
the matching RSA private key (encrypted, write-only) and the username the app acts as. For each
token the client signs an assertion with RS256 — ``iss`` the consumer key, ``sub`` the username,
``aud`` https://login.salesforce.com (or https://test.salesforce.com for a sandbox), ``exp`` three
minutes ahead, as Salesforce requires — and posts it to ``{My Domain}/services/oauth2/token`` with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``. No consumer secret is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.transports.oauth2 import TokenRequest

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 180  # Salesforce: the assertion expires within 3 minutes
MIN_KEY_BITS = 2048


class AuthFlow(models.TextChoices):
    CLIENT_CREDENTIALS = "client_credentials", _("Client credentials (consumer key and secret)")
    JWT_BEARER = "jwt_bearer", _("JWT bearer (consumer key, private key and username)")


class Audience(models.TextChoices):
    PRODUCTION = "https://login.salesforce.com", _("Production or Developer Edition (login.salesforce.com)")
    SANDBOX = "https://test.salesforce.com", _("Sandbox (test.salesforce.com)")


def private_key_error(pem: str) -> str:
    """Why ``pem`` is not a usable signing key ("" when it is): a PEM RSA private key of 2048 bits or more."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        return "Not a PEM private key without a passphrase (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)."
    except UnsupportedAlgorithm:
        return "Not a private key cryptography can read."
    if not isinstance(key, rsa.RSAPrivateKey):
        return "Salesforce signs with RS256: the key must be an RSA key."
    if key.key_size < MIN_KEY_BITS:
        return f"The RSA key has {key.key_size} bits; use {MIN_KEY_BITS} or more."
    return ""


def assertion(
    *, consumer_key: str, username: str, audience: str, private_key: str, now: Callable[[], float] = time.time
) -> str:
    """A signed JWT bearer assertion (RS256; iss, sub, aud, exp)."""
    import jwt

    claims = {"iss": consumer_key, "sub": username, "aud": audience, "exp": int(now()) + ASSERTION_SECONDS}
    return jwt.encode(claims, private_key.strip(), algorithm="RS256")


class SalesforceAuthFields(models.Model):
    """The org and the fields of either flow (abstract, shared by the import and the learning-records
    connections)."""

    my_domain_url = models.URLField(
        verbose_name=_("My Domain URL"), help_text=_("The org's My Domain, e.g. https://acme.my.salesforce.com.")
    )
    client_id = models.CharField(max_length=255, verbose_name=_("consumer key"))
    client_secret = EncryptedTextField(
        blank=True, verbose_name=_("consumer secret"), help_text=_("Client credentials only.")
    )
    auth_flow = models.CharField(
        max_length=24,
        choices=AuthFlow.choices,
        default=AuthFlow.CLIENT_CREDENTIALS,
        verbose_name=_("authentication"),
        help_text=_(
            "Client credentials: the connected app's consumer secret, the flow's run-as user reads. JWT bearer: "
            "the app's certificate signs in as the username below (no secret is sent)."
        ),
    )
    jwt_username = models.CharField(
        max_length=255,
        blank=True,
        verbose_name=_("JWT username"),
        help_text=_("JWT bearer: the Salesforce username the app acts as (pre-authorized for the app)."),
    )
    jwt_private_key = EncryptedTextField(
        blank=True,
        verbose_name=_("JWT private key"),
        help_text=_(
            "JWT bearer: the RSA private key (PEM, 2048 bits or more) of the certificate uploaded to the connected "
            "app. Stored encrypted; never shown again."
        ),
    )
    jwt_audience = models.CharField(
        max_length=40,
        choices=Audience.choices,
        default=Audience.PRODUCTION,
        verbose_name=_("JWT audience"),
        help_text=_("JWT bearer: login.salesforce.com, or test.salesforce.com for a sandbox."),
    )

    class Meta:
        abstract = True

    def auth_errors(self) -> dict[str, str]:
        """The fields the chosen flow still needs, or gets wrong."""
        errors = {}
        if self.auth_flow == AuthFlow.JWT_BEARER:
            if not (self.jwt_username or "").strip():
                errors["jwt_username"] = _("JWT bearer needs the username the app acts as.")
            if not self.jwt_private_key:
                errors["jwt_private_key"] = _("JWT bearer needs the private key of the app's certificate.")
            elif problem := private_key_error(self.jwt_private_key):
                errors["jwt_private_key"] = problem
        elif not self.client_secret:
            errors["client_secret"] = _("Client credentials need the consumer secret.")
        return errors

    def auth_secrets(self) -> list[str]:
        return [secret for secret in (self.client_secret, self.jwt_private_key) if secret]

    def token_request(self, *, owner: str, subject: str) -> TokenRequest:
        """The token request of the connection's flow, to ``{My Domain}/services/oauth2/token``."""
        url = f"{self.my_domain_url.rstrip('/')}/services/oauth2/token"
        if self.auth_flow != AuthFlow.JWT_BEARER:
            return TokenRequest(
                url=url,
                client_id=self.client_id.strip(),
                client_secret=self.client_secret,
                credentials="body",
                owner=owner,
                subject=subject,
            )
        consumer_key, username, audience, key = (
            self.client_id.strip(),
            self.jwt_username.strip(),
            self.jwt_audience,
            self.jwt_private_key,
        )
        return TokenRequest(
            url=url,
            client_id=consumer_key,
            # never sent (credentials "none"), only in the token's digest: a changed key, username or
            # audience never reuses a token
            client_secret=f"{key}\n{username}\n{audience}",
            grant_type=JWT_BEARER,
            credentials="none",
            owner=owner,
            subject=subject,
            assertion=lambda: assertion(
                consumer_key=consumer_key, username=username, audience=audience, private_key=key
            ),
        )
