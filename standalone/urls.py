from pathlib import Path

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

FAVICON = Path(__file__).resolve().parent / "favicon.ico"


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """The host's icon: browsers ask for ``/favicon.ico`` on every page, the admin's and the API docs'."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("sso/", include("enterprise.sso.urls")),
    path("portal/", include("enterprise.portal.urls")),  # customers' own administrators (docs/portal.md)
    path("consent/api/v1/", include("consent.api.v1.urls")),
    path("consent/", include("consent.urls")),
    path("enterprise/api/v1/", include("enterprise.api.v1.urls")),
    path("integrated_channels/api/v1/", include("integrated_channels.integrated_channel.api.v1.urls")),
    path("classroom/api/v1/", include("integrated_channels.classroom.api.urls")),  # virtual-classroom sessions
    path("scim/v2/", include("integrated_channels.scim.urls")),
    path("cornerstone/", include("integrated_channels.cornerstone.urls")),  # the course list Cornerstone polls
    path("training-data/api/v1/", include("integrated_channels.training_data.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar's static files: nothing is loaded from another host
    # (ReDoc's bundle fetches its vendor's logo from a CDN; decision 0200).
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("favicon.ico", favicon, name="favicon"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
