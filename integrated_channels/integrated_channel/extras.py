"""Optional dependencies: each connector's third-party libraries are an extra of the package.

``pip install enterprise-learners`` gives the core; ``pip install 'enterprise-learners[sftp]'``
adds what the SFTP connector needs, and so on (``[all]``: every extra). A channel declares its
extra in the registry (``Channel.extra`` and the modules it brings, ``Channel.extra_modules``);
connector code imports those modules through ``require`` (lazily, when a run or a test needs
them), and the system check ``check_extras`` names the missing extra of an installed connector
app, so ``manage.py check`` says what to install instead of a run failing with an ImportError.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError

DISTRIBUTION = "enterprise-learners"  # the name in setup.py


class MissingExtra(ChannelConfigurationError):
    """A connector's library is not installed: install the package's extra that brings it."""

    code = "missing_extra"


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(module: str, *, extra: str, app: str) -> ModuleType:
    """Import ``module`` (a library of the extra ``extra``), or ``MissingExtra`` saying what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{app} needs {module}, which is not installed: {install_hint(extra)}") from None


@dataclass(frozen=True)
class Missing:
    app: str  # the app's module, e.g. "integrated_channels.sftp"
    module: str
    extra: str

    def __str__(self) -> str:
        return f"{self.app} is installed but {self.module} is missing: {install_hint(self.extra)}"


def missing_extras() -> list[Missing]:
    """The libraries missing for the registered channels, once per (app, library)."""
    from django.apps import apps

    from integrated_channels.integrated_channel.registry import registry

    found: dict[tuple[str, str], Missing] = {}
    for channel in registry.all():
        if not channel.extra:
            continue
        app = apps.get_app_config(channel.app_label).name
        for module in channel.extra_modules:
            if (app, module) in found:
                continue
            try:
                importlib.import_module(module)
            except ImportError:
                found[(app, module)] = Missing(app=app, module=module, extra=channel.extra)
    return list(found.values())


def channels_missing_extras(missing: list[Missing]) -> set[str]:
    """The codes of the registered channels that need one of the ``missing`` libraries."""
    from django.apps import apps

    from integrated_channels.integrated_channel.registry import registry

    absent = {(item.app, item.module) for item in missing}
    return {
        channel.code
        for channel in registry.all()
        if any((apps.get_app_config(channel.app_label).name, module) in absent for module in channel.extra_modules)
    }
