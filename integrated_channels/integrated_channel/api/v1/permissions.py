"""Staff act on channel configurations through each channel's own model permissions, as in its admin.

Every channel has its configuration model and admin page, so "may change configurations" is a
permission per channel (``sap_success_factors.change_sapsuccessfactorsconfiguration`` …): a staff
member lists the channels they may view, creates those they may add, changes and runs those they
may change. Customer administrators and learners are scoped by customer, as everywhere in the API
(``enterprise.api.v1.permissions``).
"""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from enterprise.api.v1.permissions import ModelPermissions, has_model_permission
from integrated_channels.integrated_channel.registry import registry

#: What each request does to a configuration; ``None``: nothing (OPTIONS).
_VERBS = {"GET": "view", "HEAD": "view", "OPTIONS": None, "POST": "add", "PUT": "change", "PATCH": "change"}
#: Custom actions, by name: running a configuration is the admin's "send now" action (change permission).
_ACTION_VERBS = {"run_now": "change"}


def configuration_permission(code: str, verb: str) -> str:
    """The permission ``verb`` (view, add, change) of channel ``code``'s configuration model."""
    opts = registry.get(code).get_configuration_model()._meta
    return f"{opts.app_label}.{verb}_{opts.model_name}"


def channels_allowed(user, verb: str) -> list[str]:
    """The codes of the channels whose configurations ``user`` may ``verb`` (view also by change)."""
    return [code for code in registry.codes() if has_model_permission(user, configuration_permission(code, verb))]


def check_channel_permission(user, code: str, verb: str) -> None:
    """``PermissionDenied`` naming the missing permission when staff ``user`` may not ``verb`` channel ``code``."""
    if user.is_staff:
        perm = configuration_permission(code, verb)
        if not has_model_permission(user, perm):
            raise PermissionDenied(f"Your account lacks the permission {perm}.")


class ConfigurationPermissions(ModelPermissions):
    """Staff: the request's permission on at least one channel, then on the configuration's own channel."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        verb = self._verb(request, view)
        if not user.is_staff or verb is None:
            return True
        if channels_allowed(user, verb):
            return True
        self.message = f"Your account lacks the {verb} permission of every channel's configurations."
        return False

    def has_object_permission(self, request, view, obj):
        verb = self._verb(request, view)
        if not request.user.is_staff or verb is None:
            return True
        perm = configuration_permission(obj.channel, verb)
        if has_model_permission(request.user, perm):
            return True
        self.message = f"Your account lacks the permission {perm}."
        return False

    @staticmethod
    def _verb(request, view) -> str | None:
        action = getattr(view, "action", None)
        if action in _ACTION_VERBS:
            return _ACTION_VERBS[action]
        if request.method not in _VERBS:
            return "delete"
        return _VERBS[request.method]
