from django.apps import AppConfig


class SSOConfig(AppConfig):
    name = "enterprise.sso"
    label = "enterprise_sso"
    verbose_name = "Enterprise single sign-on (SAML)"
    default_auto_field = "django.db.models.BigAutoField"
