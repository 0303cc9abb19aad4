"""The SCIM endpoint needs scim2-models (the ``scim`` extra): ``manage.py check`` says so when it is missing."""

import importlib.util

from django.core.checks import Error

from integrated_channels.integrated_channel.extras import install_hint


def check_scim2_models(app_configs=None, **kwargs):
    if importlib.util.find_spec("scim2_models") is not None:
        return []
    return [
        Error(
            "The SCIM endpoint (integrated_channels.scim) needs scim2-models, which is not installed.",
            hint=install_hint("scim"),
            id="scim.E001",
        )
    ]
