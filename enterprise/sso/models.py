"""SAML configuration of identity providers and service provider, and the protocol's bookkeeping."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.models import EnterpriseCustomerIdentityProvider
from enterprise.models.base import TimeStampedModel

# Common attribute names (the "urn:oid" names of eduPerson / X.500, which most IdPs send).
OID_MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
OID_GIVEN_NAME = "urn:oid:2.5.4.42"
OID_SURNAME = "urn:oid:2.5.4.4"


class SAMLIdentityProviderConfig(TimeStampedModel):
    """How to trust and read one customer identity provider.

    Either the IdP's metadata XML is pasted (entity id, SSO URL and signing certificate are read
    from it, with DTDs and entities refused) or the three are entered by hand.
    """

    identity_provider = models.OneToOneField(
        EnterpriseCustomerIdentityProvider, on_delete=models.CASCADE, related_name="saml_config"
    )
    enabled = models.BooleanField(default=True)
    metadata_xml = models.TextField(
        blank=True,
        help_text=_("The identity provider's SAML metadata. When given, the three fields below are read from it."),
    )
    entity_id = models.CharField(
        _("IdP entity id"),
        max_length=255,
        unique=True,
        help_text=_("The identity provider's entity id (the Issuer of its answers)."),
    )
    sso_url = models.URLField(_("SSO URL"), max_length=1000, help_text=_("Where sign-in requests are sent."))
    x509_certificate = models.TextField(
        _("signing certificate"), help_text=_("PEM (or base64) X.509 certificate the IdP signs with.")
    )
    email_attribute = models.CharField(max_length=255, default=OID_MAIL)
    first_name_attribute = models.CharField(max_length=255, default=OID_GIVEN_NAME, blank=True)
    last_name_attribute = models.CharField(max_length=255, default=OID_SURNAME, blank=True)
    remote_id_attribute = models.CharField(
        _("remote user id attribute"),
        max_length=255,
        blank=True,
        help_text=_(
            "Attribute holding the learner's id at the customer (e.g. SAP SuccessFactors userID). "
            "Empty: the assertion's NameID."
        ),
    )
    require_signed_response = models.BooleanField(
        default=True, help_text=_("Refuse answers whose Response is unsigned.")
    )
    require_signed_assertion = models.BooleanField(
        default=True, help_text=_("Refuse answers whose Assertion is unsigned.")
    )
    sign_authn_requests = models.BooleanField(
        default=False, help_text=_("Sign sign-in requests with the service provider's key (some IdPs require it).")
    )
    allow_unsolicited = models.BooleanField(
        _("allow IdP-initiated sign-in"),
        default=False,
        help_text=_("Accept answers the service provider did not ask for (sign-in started at the IdP's portal)."),
    )

    class Meta:
        verbose_name = _("SAML identity provider configuration")
        verbose_name_plural = _("SAML identity provider configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(require_signed_response=True) | models.Q(require_signed_assertion=True),
                name="saml_idp_requires_a_signature",
                violation_error_message=_("Require a signed response, a signed assertion or both."),
            ),
        ]

    def __str__(self):
        return f"SAML {self.identity_provider}"

    @property
    def provider_id(self) -> str:
        return self.identity_provider.provider_id

    def clean(self):
        from enterprise.sso.exceptions import SSOError
        from enterprise.sso.safexml import parse_idp_metadata

        if self.metadata_xml.strip():
            try:
                parsed = parse_idp_metadata(self.metadata_xml, entity_id=self.entity_id or None)
            except SSOError as exc:
                raise ValidationError({"metadata_xml": exc.message}) from exc
            self.entity_id, self.sso_url, self.x509_certificate = parsed.entity_id, parsed.sso_url, parsed.certificate
        if not (self.require_signed_response or self.require_signed_assertion):
            raise ValidationError(_("Require a signed response, a signed assertion or both."))


class ServiceProviderCredentials(TimeStampedModel):
    """The service provider's key pair, the private key encrypted at rest. One row at most.

    Settings ``ENTERPRISE_SSO["SP_PRIVATE_KEY"]`` / ``["SP_CERTIFICATE"]`` take precedence.
    """

    singleton = models.BooleanField(default=True, editable=False)
    certificate = models.TextField(help_text=_("PEM X.509 certificate, published in the SP metadata."))
    private_key = EncryptedTextField(
        help_text=_("PEM private key. Stored encrypted; never shown. Leave blank to keep.")
    )

    class Meta:
        verbose_name = _("SAML service provider credentials")
        verbose_name_plural = _("SAML service provider credentials")
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="saml_sp_credentials_single_row"),
            models.CheckConstraint(condition=models.Q(singleton=True), name="saml_sp_credentials_singleton_true"),
        ]

    def __str__(self):
        return "SAML service provider credentials"


class OutstandingAuthnRequest(models.Model):
    """A sign-in request sent to an IdP and not answered yet; its id must come back as InResponseTo.

    Kept in the database rather than the session: the IdP's answer is a cross-site POST, which
    browsers send without the (SameSite=Lax) session cookie. An answer consumes its request.
    """

    request_id = models.CharField(max_length=255, unique=True)
    identity_provider = models.ForeignKey(
        EnterpriseCustomerIdentityProvider, on_delete=models.CASCADE, related_name="+"
    )
    relay_state = models.CharField(max_length=2000, blank=True)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.request_id


class ConsumedAssertion(models.Model):
    """An assertion id already used to sign in, kept until the assertion expires (replay protection)."""

    identity_provider = models.ForeignKey(
        EnterpriseCustomerIdentityProvider, on_delete=models.CASCADE, related_name="+"
    )
    assertion_id = models.CharField(max_length=255)
    consumed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity_provider", "assertion_id"], name="saml_assertion_used_once"),
        ]

    def __str__(self):
        return self.assertion_id
