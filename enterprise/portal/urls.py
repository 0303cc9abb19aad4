"""Mount under ``/portal/``: ``path("portal/", include("enterprise.portal.urls"))``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from enterprise.portal import authorization, connections, connectors, consent_channels, report_views, views

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
    path("<uuid:customer_uuid>/reports/", report_views.dashboard, name="reports"),
    path("<uuid:customer_uuid>/reports/refresh/", report_views.refresh, name="reports_refresh"),
    path("<uuid:customer_uuid>/reports/<slug:name>.csv", report_views.export, name="reports_export"),
    path("<uuid:customer_uuid>/connectors/", connectors.connectors, name="connectors"),
    path(
        "<uuid:customer_uuid>/connectors/new/<slug:channel_code>/",
        connections.create,
        name="connection_create",
    ),
    path("connectors/oauth/complete/", authorization.authorized, name="connection_authorized"),
    path("<uuid:customer_uuid>/connectors/<int:configuration_id>/test/", connectors.test, name="connector_test"),
    path("<uuid:customer_uuid>/connectors/<int:configuration_id>/rows/", connections.rows, name="connection_rows"),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/delete/",
        connections.delete,
        name="connection_delete",
    ),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/authorize/",
        authorization.authorize,
        name="connection_authorize",
    ),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/edit/",
        connections.edit,
        name="connection_edit",
    ),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/<slug:code>/",
        connectors.operation,
        name="connector_operation",
    ),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/<slug:code>/rerun/<int:run_id>/",
        connectors.rerun,
        name="connector_rerun",
    ),
    path(
        "<uuid:customer_uuid>/connectors/<int:configuration_id>/<slug:code>/runs/<int:run_id>/errors.csv",
        connectors.error_report_csv,
        name="connector_error_report",
    ),
]
