"""Typed errors of single sign-on. Each says which HTTP status its error page answers with."""

from enterprise.exceptions import EnterpriseError


class SSOError(EnterpriseError):
    """Base of the errors of the SSO app."""

    code = "sso_error"
    status_code = 400
    default_message = "Single sign-on failed."


class IdentityProviderNotFound(SSOError, LookupError):
    code = "idp_not_found"
    status_code = 404
    default_message = "No enabled SAML identity provider has this id."


class SSOConfigurationError(SSOError):
    """The service provider or an identity provider is not configured well enough to sign in."""

    code = "sso_configuration"
    status_code = 500


class UnsafeXML(SSOError, ValueError):
    """XML with a DTD, entity declarations or processing the parser refuses; nothing was resolved."""

    code = "unsafe_xml"
    default_message = "The XML document declares a DTD or entities, which are refused."


class InvalidMetadata(SSOError, ValueError):
    code = "invalid_metadata"


class InvalidSAMLResponse(SSOError, ValueError):
    """The SAML response failed validation (signature, audience, destination, time, …)."""

    code = "invalid_saml_response"
    default_message = "The sign-in answer of the identity provider is not valid."


class ReplayedAssertion(InvalidSAMLResponse):
    code = "replayed_assertion"
    default_message = "This sign-in answer was already used."


class MissingAttribute(InvalidSAMLResponse):
    code = "missing_attribute"


class AccountNotAllowed(SSOError, PermissionError):
    """The matching account may not sign in this way (staff, inactive, creation disabled)."""

    code = "account_not_allowed"
    status_code = 403
