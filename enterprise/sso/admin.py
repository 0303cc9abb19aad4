"""Admin of the SAML configuration (staff with the model permissions only; secrets never shown)."""

from django import forms
from django.contrib import admin
from django.db import models as db_models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.sso import models


@admin.register(models.SAMLIdentityProviderConfig)
class SAMLIdentityProviderConfigAdmin(admin.ModelAdmin):
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}
    list_display = ("identity_provider", "customer", "entity_id", "enabled", "allow_unsolicited")
    list_filter = ("enabled", "allow_unsolicited")
    list_select_related = ("identity_provider__customer",)
    search_fields = ("entity_id", "identity_provider__provider_id", "identity_provider__customer__name")
    readonly_fields = ("service_provider_urls", "created", "modified")
    fieldsets = (
        (None, {"fields": ("identity_provider", "enabled", "service_provider_urls")}),
        (
            _("Identity provider"),
            {
                "description": _("Paste the IdP's metadata XML, or fill in the entity id, SSO URL and certificate."),
                "fields": ("metadata_xml", "entity_id", "sso_url", "x509_certificate"),
            },
        ),
        (
            _("Attributes"),
            {"fields": ("remote_id_attribute", "email_attribute", "first_name_attribute", "last_name_attribute")},
        ),
        (
            _("Security"),
            {
                "fields": (
                    "require_signed_response",
                    "require_signed_assertion",
                    "sign_authn_requests",
                    "allow_unsolicited",
                )
            },
        ),
        (None, {"fields": ("created", "modified")}),
    )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in ("entity_id", "sso_url", "x509_certificate"):
            form.base_fields[name].required = False  # filled from the metadata when it is given
        return form

    @admin.display(description=_("customer"), ordering="identity_provider__customer__name")
    def customer(self, obj):
        return obj.identity_provider.customer

    @admin.display(description=_("give the IdP"))
    def service_provider_urls(self, obj):
        if obj is None or obj.pk is None:
            return _("Saved configurations show their SP metadata and assertion consumer URLs here.")
        try:
            metadata = reverse("enterprise_sso:saml-metadata", args=[obj.provider_id])
            acs = reverse("enterprise_sso:saml-acs", args=[obj.provider_id])
        except NoReverseMatch:
            return _("Mount enterprise.sso.urls in the URLconf to serve the SAML endpoints.")
        return format_html(
            'SP metadata: <a href="{}">{}</a><br>Assertion consumer service (HTTP-POST): {}', metadata, metadata, acs
        )


@admin.register(models.ServiceProviderCredentials)
class ServiceProviderCredentialsAdmin(admin.ModelAdmin):
    # The admin's own TextField widget (a textarea showing the value) would otherwise win over the
    # field's write-only default: force a password input that never renders the stored key.
    formfield_overrides = {
        EncryptedTextField: {
            "widget": forms.PasswordInput(
                render_value=False,
                attrs={"autocomplete": "new-password", "placeholder": _("Stored encrypted. Type to replace.")},
            )
        }
    }
    list_display = ("__str__", "modified")
    fields = ("certificate", "private_key", "created", "modified")
    readonly_fields = ("created", "modified")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not models.ServiceProviderCredentials.objects.exists()
