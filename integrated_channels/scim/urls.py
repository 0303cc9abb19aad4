"""SCIM 2.0 endpoints; the host includes them under ``scim/v2/``."""

from django.urls import path, re_path

from integrated_channels.scim import views

app_name = "scim"

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
