from django.urls import path

from enterprise.sso import views

app_name = "enterprise_sso"

urlpatterns = [
    path("saml/<slug:provider_id>/metadata/", views.metadata, name="saml-metadata"),
    path("saml/<slug:provider_id>/login/", views.login_start, name="saml-login"),
    path("saml/<slug:provider_id>/acs/", views.assertion_consumer, name="saml-acs"),
]
