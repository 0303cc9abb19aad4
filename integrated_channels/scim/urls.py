"""SCIM 2.0 endpoints; the host includes them under ``scim/v2/``.

Without scim2-models (the ``scim`` extra) every path answers 503 and ``manage.py check`` names the
extra (``scim.E001``): the host still loads.
"""

from django.http import JsonResponse
from django.urls import path, re_path

app_name = "scim"

try:
    from integrated_channels.scim import views
except ImportError as missing:  # the scim extra is not installed
    reason = f"The SCIM endpoint is not installed: {missing}."

    def unavailable(request, **kwargs):
        return JsonResponse(
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "503", "detail": reason},
            status=503,
            content_type="application/scim+json",
        )

    urlpatterns = [path("Users", unavailable, name="users"), re_path(r"^.*$", unavailable)]
else:
    urlpatterns = [
        path("Users", views.users_view, name="users"),
        path("Users/.search", views.search_view, name="users-search"),
        path("Users/<str:user_id>", views.user_view, name="user"),
        path("ServiceProviderConfig", views.service_provider_config_view, name="service-provider-config"),
        path("Schemas", views.schemas_view, name="schemas"),
        path("Schemas/<str:schema_id>", views.schemas_view, name="schema"),
        path("ResourceTypes", views.resource_types_view, name="resource-types"),
        path("ResourceTypes/<str:name>", views.resource_types_view, name="resource-type"),
        path(".search", views.search_view, name="search"),
        re_path(r"^(?P<resource>Me|Bulk)(?:/.*)?$", views.not_implemented_view),
        re_path(r"^(?P<resource>.+)$", views.unsupported_view, name="unsupported"),
    ]
