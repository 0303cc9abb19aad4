"""URLs of the consent API, mounted at ``/consent/api/v1/``."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from consent.api.v1 import views
from enterprise.api.v1.views import ApiNotFound

app_name = "consent-api-v1"

router = SimpleRouter()
router.register("consents", views.ConsentViewSet, basename="consent")
urlpatterns = [*router.urls, re_path(r"", ApiNotFound.as_view())]
