"""URLs of the channel API, mounted at ``/integrated_channels/api/v1/``."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from enterprise.api.v1.views import ApiNotFound
from integrated_channels.integrated_channel.api.v1 import connections, views

app_name = "channels-api-v1"

router = SimpleRouter()
router.register("configurations", views.ConfigurationViewSet, basename="configuration")
router.register("connections", connections.ConnectionViewSet, basename="connection")
router.register("runs", views.RunViewSet, basename="run")
urlpatterns = [*router.urls, re_path(r"", ApiNotFound.as_view())]
