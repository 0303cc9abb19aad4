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
import importlib.util
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


def installed(module: str) -> bool:
    """Whether ``module`` can be found, without importing it: the checks run in every process that runs
    ``manage.py`` or a Celery worker, and importing every connector's libraries there (openpyxl, asyncssh,
    zeep: ~16 MB) would leave them loaded in processes that never use them (decision 0541)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or ``sys.modules[module]`` without a spec
        return False


@dataclass(frozen=True)
class Missing:
    app: str  # the app's module, e.g. "integrated_channels.sftp"
    module: str
    extra: str
    protocols: tuple[str, ...] = ()  # only connections of these protocols need it ("" : all connections)

    def __str__(self) -> str:
        if self.protocols:
            return (
                f"{self.app} is installed but {self.module} is missing: its {', '.join(self.protocols)} connections "
                f"cannot be saved or run until you {install_hint(self.extra)}"
            )
        return f"{self.app} is installed but {self.module} is missing: {install_hint(self.extra)}"


def missing_for_protocol(channel, protocol: str) -> str:
    """A sentence naming the extra to install when a module that ``protocol`` needs is missing, or ""."""
    for module in channel.modules_for_protocol(protocol):
        if not installed(module):
            return f"{protocol.upper()} needs {module}, which is not installed: {install_hint(channel.extra)}"
    return ""


def missing_extras() -> list[Missing]:
    """The libraries missing for the registered channels, once per (app, library)."""
    from django.apps import apps

    from integrated_channels.integrated_channel.registry import registry

    found: dict[tuple[str, str], Missing] = {}
    for channel in registry.all():
        if not channel.extra:
            continue
        app = apps.get_app_config(channel.app_label).name
        by_module: dict[str, tuple[str, ...]] = {}
        for protocol, modules in channel.protocol_modules:
            for module in modules:
                by_module[module] = (*by_module.get(module, ()), protocol)
        for module in (*channel.extra_modules, *by_module):
            if (app, module) in found:
                continue
            if not installed(module):
                protocols = () if module in channel.extra_modules else by_module[module]
                found[(app, module)] = Missing(app=app, module=module, extra=channel.extra, protocols=protocols)
    return list(found.values())


def channels_missing_extras(missing: list[Missing]) -> set[str]:
    """The codes of the registered channels that need one of the ``missing`` libraries."""
    from django.apps import apps

    from integrated_channels.integrated_channel.registry import registry

    absent = {(item.app, item.module) for item in missing if not item.protocols}
    return {
        channel.code
        for channel in registry.all()
        if any((apps.get_app_config(channel.app_label).name, module) in absent for module in channel.extra_modules)
    }
