"""``manage.py create_scim_token`` and revoking tokens in the admin."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrated_channels.scim.models import ScimToken
from integrated_channels.scim.services.tokens import _digest
from tests.factories import CustomerFactory


@pytest.mark.parametrize("reference", ["slug", "uuid"])
def test_create_scim_token_prints_a_token_of_the_customer(client, db, reference):
    customer = CustomerFactory(slug="acme")
    out = io.StringIO()
    name = "acme" if reference == "slug" else str(customer.uuid)
    call_command("create_scim_token", name, "--name", "Entra", stdout=out)
    secret = out.getvalue().strip()
    token = ScimToken.objects.get()
    assert (token.customer, token.name, token.key_hash) == (customer, "Entra", _digest(secret))
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_create_scim_token_of_an_unknown_customer(db):
    with pytest.raises(CommandError, match="No customer"):
        call_command("create_scim_token", "nope")
    with pytest.raises(CommandError, match="No customer"):
        call_command("create_scim_token", "00000000-0000-0000-0000-000000000000")


def test_the_admin_lists_tokens_without_their_secret_and_revokes_them(staff_client, scim):
    url = reverse("admin:scim_scimtoken_changelist")
    page = staff_client.get(url)
    assert page.status_code == 200
    assert scim.secret[:8] in page.content.decode()
    assert scim.secret not in page.content.decode()
    token = ScimToken.objects.get()
    assert staff_client.get(reverse("admin:scim_scimtoken_add")).status_code == 403
    response = staff_client.post(url, {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True)
    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked is not None
    assert scim.get("Users").status_code == 401
    assert staff_client.get(reverse("admin:scim_scimtoken_change", args=[token.pk])).status_code == 200
