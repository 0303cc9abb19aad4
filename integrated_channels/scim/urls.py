"""SCIM 2.0 endpoints; the host includes them under ``scim/v2/``.

The views (and scim2-models and pydantic under them, ~15 MB) are imported by the first SCIM request,
not when the URLconf loads: every other process of the host (the admin, the API, ``manage.py``,
Celery) stays without them (decision 0575). Without scim2-models (the ``scim`` extra) every path
answers 503 and ``manage.py check`` names the extra (``scim.E001``): the host still loads.
"""

import importlib
import importlib.util

from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

app_name = "scim"


def unavailable(request, reason: str = "The SCIM endpoint is not installed: scim2-models (the scim extra) is missing."):
    return JsonResponse(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "503", "detail": reason},
        status=503,
        content_type="application/scim+json",
    )


def _view(name: str):
    """``integrated_channels.scim.views.<name>``, imported when a request first needs it. Every SCIM
    view is CSRF-exempt (``views.scim_endpoint``): the identity provider authenticates with its token."""

    @csrf_exempt
    def view(request, *args, **kwargs):
        try:
            views = importlib.import_module("integrated_channels.scim.views")
        except ImportError as missing:  # the scim extra is not installed (or does not import)
            return unavailable(request, f"The SCIM endpoint is not installed: {missing}.")
        return getattr(views, name)(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


if importlib.util.find_spec("scim2_models") is None:  # the scim extra is not installed
    urlpatterns = [path("Users", unavailable, name="users"), re_path(r"^.*$", unavailable)]
else:
    urlpatterns = [
        path("Users", _view("users_view"), name="users"),
        path("Users/.search", _view("search_view"), name="users-search"),
        path("Users/<str:user_id>", _view("user_view"), name="user"),
        path("ServiceProviderConfig", _view("service_provider_config_view"), name="service-provider-config"),
        path("Schemas", _view("schemas_view"), name="schemas"),
        path("Schemas/<str:schema_id>", _view("schemas_view"), name="schema"),
        path("ResourceTypes", _view("resource_types_view"), name="resource-types"),
        path("ResourceTypes/<str:name>", _view("resource_types_view"), name="resource-type"),
        path(".search", _view("search_view"), name="search"),
        re_path(r"^(?P<resource>Me|Bulk)(?:/.*)?$", _view("not_implemented_view")),
        re_path(r"^(?P<resource>.+)$", _view("unsupported_view"), name="unsupported"),
    ]
