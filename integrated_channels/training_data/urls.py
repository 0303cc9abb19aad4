"""The public catalog API, mounted at ``/training-data/api/v1/``."""

from django.urls import path

from integrated_channels.training_data.views import PublicCatalogView

app_name = "training-data-api-v1"

urlpatterns = [
    path("<str:customer_slug>/catalog/", PublicCatalogView.as_view(), name="catalog"),
]
