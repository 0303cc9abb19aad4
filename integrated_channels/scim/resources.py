"""The SCIM models this service provider speaks (scim2-models, decision 0251) and the policy it reads them with.

``UserResource`` is the core User with the enterprise extension. ``POLICY`` is the tolerance the
identity providers need: attributes no schema declares are dropped (Okta and OneLogin send their
own), a PATCH ``remove`` with a ``value`` removes that value and a path filter that matches
nothing adds the entry it describes (both as Microsoft Entra sends them). Entra's other habits —
``"False"`` strings for booleans, upper-case ``op``, a path-less ``replace`` whose value keys are
attribute paths — are read by scim2-models itself; ``normalize_manager`` adds what it cannot:
a manager given as a bare id.
"""

from __future__ import annotations

from typing import Any

from scim2_models import EnterpriseUser, ScimPolicy, User

UserResource = User[EnterpriseUser]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MANAGER_PATHS = frozenset({f"{ENTERPRISE_SCHEMA}:manager".lower(), f"{ENTERPRISE_SCHEMA}:manager.value".lower()})

POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def manager_value(value: Any, users_url: str) -> Any:
    """A manager as the schema wants it (``value`` and ``$ref``) from an id, a ``{"value"}`` or a one-item list."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict):
        value = dict(value)
        if value.get("value") and not value.get("$ref"):
            value["$ref"] = f"{users_url}/{value['value']}"
        if not value.get("value"):
            return None  # Entra clears the manager with an empty value
    return value


def normalize_manager(payload: Any, users_url: str) -> Any:
    """Complete the manager of a User payload (POST/PUT) in place."""
    if isinstance(payload, dict):
        extension = payload.get(ENTERPRISE_SCHEMA)
        if isinstance(extension, dict) and "manager" in extension:
            extension["manager"] = manager_value(extension["manager"], users_url)
            if extension["manager"] is None:
                del extension["manager"]
    return payload


def normalize_patch(payload: Any, users_url: str) -> Any:
    """Complete the managers a PatchOp payload sets, by path or in a path-less value, in place."""
    operations = payload.get("Operations") if isinstance(payload, dict) else None
    for operation in operations if isinstance(operations, list) else ():
        if not isinstance(operation, dict) or "value" not in operation:
            continue
        path = str(operation.get("path") or "").lower()
        if path in MANAGER_PATHS:
            value = operation["value"]
            if path.endswith(".value") and isinstance(value, str):
                operation["path"] = f"{ENTERPRISE_SCHEMA}:manager"
            manager = manager_value(value, users_url)
            if manager is None:  # "replace with nothing": remove it
                operation.pop("value")
                operation["op"] = "remove"
                operation["path"] = f"{ENTERPRISE_SCHEMA}:manager"
            else:
                operation["value"] = manager
        elif not path and isinstance(operation["value"], dict):
            value = operation["value"]
            for key in list(value):
                if key.lower() in MANAGER_PATHS:
                    value[f"{ENTERPRISE_SCHEMA}:manager"] = manager_value(value.pop(key), users_url)
            normalize_manager(value, users_url)
    return payload
