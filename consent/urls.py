from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("", views.consent_page, name="consent_page"),
]
