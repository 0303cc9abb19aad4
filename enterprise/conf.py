"""A small settings object shared by the apps of this package (modelled on DRF's api_settings).

Each app declares one ``AppSettings`` instance with a namespace (the name of a dict in the
Django settings), a DEFAULTS dict and the names whose values are dotted import strings.
Values are read lazily (never at import time), import strings are resolved on first use,
unknown names raise ``AttributeError`` and the cache is cleared when a test overrides the
namespace (``setting_changed``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


class AppSettings:
    def __init__(self, namespace: str, defaults: dict[str, Any], import_strings=()):
        self.namespace = namespace
        self.defaults = defaults
        self.import_strings = frozenset(import_strings)
        self._cache: dict[str, Any] = {}
        setting_changed.connect(self._on_setting_changed, weak=False)

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, self.namespace, None) or {}
        if not isinstance(value, dict):
            raise ImproperlyConfigured(f"settings.{self.namespace} must be a dict, not {type(value).__name__}.")
        unknown = set(value) - set(self.defaults)
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown name(s) in settings.{self.namespace}: {', '.join(sorted(unknown))}. "
                f"Known names: {', '.join(sorted(self.defaults))}."
            )
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"{self.namespace} has no setting {name!r}")
        if name in self._cache:
            return self._cache[name]
        value = self.user_settings.get(name, self.defaults[name])
        if name in self.import_strings and isinstance(value, str):
            try:
                value = import_string(value)
            except ImportError as exc:
                raise ImproperlyConfigured(
                    f"settings.{self.namespace}[{name!r}]: cannot import {value!r}: {exc}"
                ) from exc
        self._cache[name] = value
        return value

    def reload(self) -> None:
        self._cache.clear()

    def _on_setting_changed(self, *, setting, **kwargs) -> None:
        if setting == self.namespace:
            self.reload()
