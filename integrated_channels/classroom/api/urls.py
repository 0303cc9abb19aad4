"""URLs of the sessions API, mounted at ``/classroom/api/v1/``."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from enterprise.api.v1.views import ApiNotFound
from integrated_channels.classroom.api import views

app_name = "classroom-api-v1"

router = SimpleRouter()
router.register("sessions", views.SessionViewSet, basename="session")

urlpatterns = [
    path("customers/<uuid:customer_uuid>/", include(router.urls)),
    re_path(r"", ApiNotFound.as_view()),
]
