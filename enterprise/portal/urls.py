"""Mount under ``/portal/``: ``path("portal/", include("enterprise.portal.urls"))``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from enterprise.portal import consent_channels, views

app_name = "enterprise_portal"

urlpatterns = [
    path("", views.index, name="index"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="enterprise_portal/login.html",
            redirect_authenticated_user=True,
            next_page="enterprise_portal:index",
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="enterprise_portal:login"), name="logout"),
    path("<uuid:customer_uuid>/learners/", views.learners, name="learners"),
    path("<uuid:customer_uuid>/learners/report/", views.report, name="learners_report"),
    path("<uuid:customer_uuid>/learners/catalog-search/", views.catalog_search, name="catalog_search"),
    path("<uuid:customer_uuid>/learners/course-modes/", views.modes, name="course_modes"),
    path(
        "<uuid:customer_uuid>/learners/email-preview/<str:template_type>/",
        views.email_preview,
        name="email_preview",
    ),
    path("<uuid:customer_uuid>/consent/", consent_channels.consent, name="consent"),
]
