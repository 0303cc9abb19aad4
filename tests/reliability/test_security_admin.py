"""Every admin URL (custom views included) and every admin action, for four kinds of user:
anonymous, signed-in but not staff, staff without the model's permission, superuser. The first
three are refused (the login page or 403) and change nothing; the superuser reaches every view."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory
from tests.reliability.walk import admin_urls, database_state

pytestmark = pytest.mark.django_db


def _refused_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


ROLES = {
    "anonymous": lambda: None,
    "not staff": lambda: UserFactory(username="not-staff", is_staff=False),
    "staff without permission": lambda: UserFactory(username="bare-staff", is_staff=True),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_admin_url_and_action_is_refused(world, role):
    client = _client(ROLES[role]())
    urls = admin_urls(world)
    assert len(urls) > 5 * len(admin.site._registry)  # the walk found the standard views and more
    before = database_state()
    refused = []
    for entry in urls:
        for method, body in [("get", None)] + [("post", body) for body in entry.posts]:
            response = getattr(client, method)(entry.url, body) if body is not None else client.get(entry.url)
            ok = _refused_to_login(response) if role != "staff without permission" else response.status_code == 403
            if not ok:
                refused.append((method, entry.url, body, response.status_code, response.get("Location")))
    assert refused == []
    assert database_state() == before


def test_site_urls_need_staff(world):
    site_urls = [reverse(f"admin:{name}") for name in ("index", "password_change", "password_change_done", "jsi18n")]
    site_urls += [reverse("admin:app_list", args=["enterprise"]), reverse("admin:autocomplete")]
    for role in ("anonymous", "not staff"):
        client = _client(ROLES[role]())
        for url in site_urls:
            assert _refused_to_login(client.get(url)), (role, url)
    bare = _client(ROLES["staff without permission"]())
    index = bare.get(reverse("admin:index")).content.decode()
    assert all(marker not in index for marker in world.markers())
    assert bare.get(reverse("admin:app_list", args=["enterprise"])).status_code == 404
    autocomplete = bare.get(
        reverse("admin:autocomplete"),
        {"app_label": "enterprise", "model_name": "enterprisecustomeridentityprovider", "field_name": "customer"},
    )
    assert autocomplete.status_code == 403


# names ending so: buttons, POST only
POST_ONLY = ("integrated_channel_operation_rerun", "_test_connection", "_generate_ssh_key", "_authorize")

CHANGING_VIEWS = (
    "_changelist",
    "_delete",
    "_change",
    "_add",
    "_manage_learners",
    "_password_change",
    "_operation",
    "_operation_rerun",
    "_test_connection",
)


def test_view_permission_does_not_allow_actions_or_changes(world):
    """Staff who may only view every model: the pages open, every action and change is refused."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = _client(user)
    before = database_state()
    problems = []
    for entry in admin_urls(world):
        if entry.name.endswith("_changelist"):
            assert client.get(entry.url).status_code == 200, entry.url
        if not entry.name.endswith(CHANGING_VIEWS):
            continue  # read-only views (history, preview, reports): their POST changes nothing (checked below)
        for body in entry.posts:
            response = client.post(entry.url, body)
            # a refused action re-shows the list (200, or 302 with "No action selected"); the rest is 403
            allowed = (200, 302) if entry.name.endswith("_changelist") else (403,)
            if response.status_code not in allowed:
                problems.append((entry.url, body, response.status_code))
    assert problems == []
    assert database_state() == before


def test_superuser_reaches_every_view(world):
    client = _client(StaffFactory(username="root"))
    failures = []
    for entry in admin_urls(world):
        response = client.get(entry.url)
        allowed = {200}
        if entry.name.endswith("_add") and not entry.model_admin.has_add_permission(_request(client)):
            allowed = {403}
        if entry.name.endswith("_delete") and not entry.model_admin.has_delete_permission(_request(client)):
            allowed = {403}
        if entry.name.endswith("_manage_learners_report"):
            allowed = {404}  # a report token that does not exist
        if entry.name.endswith("_sftpconfiguration_public_key"):
            allowed = {404}  # no key was generated for the connection
        if entry.name.endswith("_oauth_complete"):
            # the remote's redirect back, reached here without an OAuth state: refused with a message and
            # sent back to the list (a legitimate redirect, not a permission problem; staff without the
            # change permission get a 403, checked by test_every_admin_url_and_action_is_refused)
            allowed = {302}
        if entry.name.endswith(POST_ONLY):
            allowed = {405}  # buttons that change something answer POST only
        if response.status_code not in allowed:
            failures.append((entry.url, response.status_code))
    assert failures == []
    changelist = client.get(reverse("admin:enterprise_enterprisecustomer_changelist")).content.decode()
    assert world.customer.name in changelist


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = StaffFactory(username="root")
    return request
