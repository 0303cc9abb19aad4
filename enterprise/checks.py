"""System checks: configuration mistakes are reported by ``manage.py check``, not at run time."""

from django.apps import apps
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from enterprise.app_settings import enterprise_settings

BACKENDS = ("CATALOG_BACKEND", "ENROLLMENT_BACKEND", "COMPLETION_BACKEND")


@register()
def check_lms_backends(app_configs, **kwargs):
    errors = []
    for name in BACKENDS:
        try:
            backend = getattr(enterprise_settings, name)
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="enterprise.E001"))
            continue
        module = getattr(backend, "__module__", "")
        if module.startswith("enterprise.lms.local") and not apps.is_installed("enterprise.lms.local"):
            errors.append(
                Error(
                    f"settings.ENTERPRISE[{name!r}] uses the local LMS backend, "
                    "but 'enterprise.lms.local' is not in INSTALLED_APPS.",
                    hint="Add 'enterprise.lms.local' to INSTALLED_APPS or point the backend at your LMS.",
                    id="enterprise.E002",
                )
            )
    return errors
