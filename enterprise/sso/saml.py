"""The SAML protocol, over python3-saml: settings per identity provider, requests, strict validation.

No database writes and no users here; ``enterprise.sso.services`` decides what a valid assertion
means. Validation is python3-saml's strict mode (signatures with the IdP's certificates, issuer,
audience, destination, recipient, NotBefore / NotOnOrAfter, InResponseTo, no SHA-1) plus what it
leaves optional: a Destination and an AudienceRestriction must be present.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import reverse
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from enterprise.sso.app_settings import sso_settings
from enterprise.sso.exceptions import InvalidSAMLResponse, SSOConfigurationError
from enterprise.sso.models import SAMLIdentityProviderConfig, ServiceProviderCredentials
from enterprise.sso.safexml import parse_xml, split_certificates

NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}


@dataclass(frozen=True)
class ServiceProvider:
    """Where this service provider lives, as the IdPs see it."""

    base_url: str  # scheme://host[:port]

    @property
    def entity_id(self) -> str:
        return sso_settings.SP_ENTITY_ID or f"{self.base_url}/sso/saml/"

    def acs_url(self, provider_id: str) -> str:
        return self.base_url + reverse("enterprise_sso:saml-acs", args=[provider_id])

    def metadata_url(self, provider_id: str) -> str:
        return self.base_url + reverse("enterprise_sso:saml-metadata", args=[provider_id])

    @classmethod
    def for_request(cls, request) -> ServiceProvider:
        base = sso_settings.SP_BASE_URL or f"{request.scheme}://{request.get_host()}"
        return cls(base.rstrip("/"))


@dataclass(frozen=True)
class ValidatedAssertion:
    """What a valid SAML response says, once every check passed."""

    assertion_id: str
    issuer: str
    name_id: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    in_response_to: str | None = None
    not_on_or_after: datetime.datetime | None = None


def sp_credentials() -> tuple[str, str]:
    """(certificate, private key) of the SP: from settings, else the encrypted database row, else empty."""
    if sso_settings.SP_PRIVATE_KEY or sso_settings.SP_CERTIFICATE:
        return sso_settings.SP_CERTIFICATE, sso_settings.SP_PRIVATE_KEY
    row = ServiceProviderCredentials.objects.first()
    return (row.certificate, row.private_key) if row else ("", "")


def build_settings(config: SAMLIdentityProviderConfig, sp: ServiceProvider) -> OneLogin_Saml2_Settings:
    certificate, private_key = sp_credentials()
    if config.sign_authn_requests and not private_key:
        raise SSOConfigurationError(
            f"Identity provider {config.provider_id!r} wants signed sign-in requests, but the service provider "
            "has no private key (ENTERPRISE_SSO['SP_PRIVATE_KEY'] or the SAML service provider credentials)."
        )
    idp_certificates = split_certificates(config.x509_certificate)
    if not idp_certificates:
        raise SSOConfigurationError(f"Identity provider {config.provider_id!r} has no signing certificate.")
    idp = {
        "entityId": config.entity_id,
        "singleSignOnService": {"url": config.sso_url, "binding": C.BINDING_HTTP_REDIRECT},
    }
    if len(idp_certificates) == 1:
        idp["x509cert"] = idp_certificates[0]
    else:  # an IdP rolling its key over publishes both certificates
        idp["x509certMulti"] = {"signing": idp_certificates}
    data = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp.entity_id,
            "assertionConsumerService": {"url": sp.acs_url(config.provider_id), "binding": C.BINDING_HTTP_POST},
            "NameIDFormat": C.NAMEID_UNSPECIFIED,
            "x509cert": certificate,
            "privateKey": private_key,
        },
        "idp": idp,
        "security": {
            "authnRequestsSigned": config.sign_authn_requests,
            "wantAssertionsSigned": config.require_signed_assertion,
            "wantMessagesSigned": config.require_signed_response,
            "wantNameId": True,
            "wantAttributeStatement": False,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "rejectUnsolicitedResponsesWithInResponseTo": True,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
            "allowRepeatAttributeName": True,
        },
    }
    try:
        return OneLogin_Saml2_Settings(data, sp_validation_only=False)
    except OneLogin_Saml2_Error as exc:
        raise SSOConfigurationError(f"SAML settings of {config.provider_id!r} are invalid: {exc}") from exc


def request_data(request, sp: ServiceProvider) -> dict:
    """The request as python3-saml reads it, with scheme and host of the configured base URL."""
    parts = urlsplit(sp.base_url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": request.path,
        "get_data": request.GET.copy(),
        "post_data": request.POST.copy(),
    }


def login_redirect(config: SAMLIdentityProviderConfig, request, sp: ServiceProvider, *, relay_state: str):
    """(URL of the IdP carrying a new AuthnRequest, that request's id)."""
    auth = OneLogin_Saml2_Auth(request_data(request, sp), old_settings=build_settings(config, sp))
    url = auth.login(return_to=relay_state or None)
    return url, auth.get_last_request_id()


def sp_metadata(config: SAMLIdentityProviderConfig, sp: ServiceProvider) -> str:
    settings = build_settings(config, sp)
    metadata = settings.get_sp_metadata()
    errors = settings.validate_metadata(metadata)
    if errors:
        raise SSOConfigurationError(f"The SP metadata is invalid: {', '.join(errors)}")
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def decode_response(request) -> bytes:
    """The SAMLResponse of an HTTP-POST binding, base64-decoded and checked for DTDs and entities."""
    value = request.POST.get("SAMLResponse")
    if not value:
        raise InvalidSAMLResponse("No SAMLResponse was posted.")
    try:
        raw = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSAMLResponse("The SAMLResponse is not base64.") from exc
    parse_xml(raw)
    return raw


def in_response_to(raw: bytes) -> str | None:
    """The InResponseTo the (not yet validated) response claims, to find the request it answers."""
    return parse_xml(raw).get("InResponseTo") or None


def validate_response(
    config: SAMLIdentityProviderConfig, request, sp: ServiceProvider, *, raw: bytes, request_id: str | None
) -> ValidatedAssertion:
    """Validate the posted response strictly, or raise ``InvalidSAMLResponse`` saying why."""
    root = parse_xml(raw)
    if not root.get("Destination"):
        raise InvalidSAMLResponse("The response names no Destination.")
    if not root.findall(".//saml:Conditions/saml:AudienceRestriction/saml:Audience", NS):
        raise InvalidSAMLResponse("The assertion has no AudienceRestriction.")
    auth = OneLogin_Saml2_Auth(request_data(request, sp), old_settings=build_settings(config, sp))
    try:
        auth.process_response(request_id=request_id)
    except OneLogin_Saml2_Error as exc:
        raise InvalidSAMLResponse(str(exc)) from exc
    if auth.get_errors() or not auth.is_authenticated():
        reason = auth.get_last_error_reason() or ", ".join(auth.get_errors())
        raise InvalidSAMLResponse(f"The response was refused: {reason}", reason=reason)
    expires = auth.get_last_assertion_not_on_or_after()
    return ValidatedAssertion(
        assertion_id=auth.get_last_assertion_id(),
        issuer=config.entity_id,
        name_id=auth.get_nameid() or "",
        attributes={name: [str(v) for v in values] for name, values in auth.get_attributes().items()},
        in_response_to=auth.get_last_response_in_response_to(),
        not_on_or_after=datetime.datetime.fromtimestamp(expires, tz=datetime.UTC) if expires else None,
    )
