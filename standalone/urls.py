from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sso/", include("enterprise.sso.urls")),
    path("consent/api/v1/", include("consent.api.v1.urls")),
    path("consent/", include("consent.urls")),
    path("enterprise/api/v1/", include("enterprise.api.v1.urls")),
    path("integrated_channels/api/v1/", include("integrated_channels.integrated_channel.api.v1.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-docs",
    ),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
