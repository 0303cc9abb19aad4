"""Build the list of every admin URL and every API operation from the URL resolver and the
OpenAPI schema, so that a view added later is walked by the security tests without editing them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

# The values of URL parameters, by name. A new parameter name fails the walk (KeyError) until
# it is added here: no view escapes because its parameter is unknown.
ADMIN_QUERY = {
    "enterprise_enterprisecustomer_course_modes": {"course_id": "{course_id}"},
    "enterprise_enterprisecustomer_manage_learners_report": {"token": "none"},
}


@dataclass
class AdminURL:
    name: str
    url: str
    model_admin: object
    obj: object
    posts: list[dict] = field(default_factory=list)  # POST bodies that would change data if allowed


def _params(pattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


def admin_urls(world) -> list[AdminURL]:
    """Every named URL of every registered ModelAdmin (custom views included), filled with a real
    object of that model, with the POST bodies that would change something."""
    found = []
    for model, model_admin in admin.site._registry.items():
        obj = world.objects[model]
        for pattern in model_admin.get_urls():
            if pattern.name is None:  # the "<object_id>/" → change page redirect: reached via the change URL
                continue
            values = {
                "object_id": obj.pk,
                "id": obj.pk,
                "run_id": obj.pk,
                "template_type": "course",
                # the connector pages hang off the run admin: its run's customer, connection and operation
                "customer_id": getattr(obj, "customer_id", None),
                "configuration_id": getattr(obj, "configuration_id", None),
                "code": getattr(obj, "kind", None),
            }
            kwargs = {name: values[name] for name in _params(pattern)}
            url = reverse(f"admin:{pattern.name}", kwargs=kwargs)
            if pattern.name in ADMIN_QUERY:
                course_id = world.enrollment.course_id
                query = {k: v.format(course_id=course_id) for k, v in ADMIN_QUERY[pattern.name].items()}
                url += "?" + urlencode(query)
            found.append(AdminURL(pattern.name, url, model_admin, obj, _posts(pattern.name, model_admin, obj, world)))
    return found


def _posts(name: str, model_admin, obj, world) -> list[dict]:
    if name.endswith("_changelist"):
        return [
            {"action": action, "_selected_action": [str(obj.pk)], "index": "0", "post": "yes"}
            for action in _all_actions(model_admin)
        ]
    if name.endswith("_delete"):
        return [{"post": "yes"}]
    if name.endswith("_manage_learners"):
        return [
            {"action": "unlink", "user_id": str(world.learner.user_id)},
            {"action": "delete_pending", "pending_id": str(world.pending.pk)},
            {"action": "link", "email_or_username": "intruder@example.com"},
        ]
    if name.endswith("_operation"):
        schedule = {"action": "schedule", "enabled": "on", "start": "2027-01-01T08:00", "every": "1", "unit": "days"}
        return [{"action": "run"}, schedule]
    if name.endswith("_password_change"):
        return [{"password1": "Changed-by-intruder-1", "password2": "Changed-by-intruder-1"}]
    if name.endswith(("_change", "_add")):
        return [{"name": "Hacked", "active": "on"}]
    return [{}]


def _all_actions(model_admin) -> list[str]:
    """Every action the ModelAdmin offers someone with all permissions (delete_selected included)."""
    names = []
    for action in model_admin._get_base_actions():
        names.append(action[1])
    return names


def database_state() -> dict:
    """Every row of every model (sessions aside), to show that a refused request changed nothing."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model is not Session
    }


# -- the REST API ---------------------------------------------------------------------------------

API_PREFIXES = ("enterprise/api/v1/", "consent/api/v1/", "integrated_channels/api/v1/", "classroom/api/v1/")


def resolver_api_views() -> set[type]:
    """The view classes the URLconf serves under the API prefixes."""
    views = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and prefix.startswith(API_PREFIXES):
                cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
                views.add(cls)

    walk(get_resolver().url_patterns, "")
    return views


def schema_operations() -> tuple[list[tuple[str, str]], set[type]]:
    """(method, path template) of every operation of the OpenAPI schema, and their view classes."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    operations = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    views = {callback.cls for _path, _regex, _method, callback in generator.endpoints}
    return operations, views


def fill_path(path: str, values: dict) -> str:
    """Fill the ``{param}`` of a schema path; an unknown parameter is a KeyError naming it."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[(path.split("/api/v1/")[1].split("/")[0], m.group(1))]), path)
