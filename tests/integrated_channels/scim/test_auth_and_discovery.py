"""Bearer-token authentication, SCIM error bodies, and the discovery endpoints."""

import pytest
from django.utils import timezone

from integrated_channels.scim.models import ScimToken
from tests.integrated_channels.scim.conftest import ENTERPRISE, ERROR_SCHEMA, USER_SCHEMA


def assert_error(response, status, scim_type=None):
    assert response.status_code == status
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)  # a string, as RFC 7644 §3.12 writes it
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_requests_without_a_valid_bearer_token_are_refused(client, scim, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    for path in ("Users", "ServiceProviderConfig", "Schemas", "Groups"):
        response = client.get(f"/scim/v2/{path}", **headers)
        assert_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(scim):
    assert scim.get("Users").status_code == 200
    ScimToken.objects.update(revoked=timezone.now())
    assert_error(scim.get("Users"), 401)


def test_tokens_are_stored_hashed_and_last_use_recorded(scim):
    token = ScimToken.objects.get()
    assert scim.secret not in (token.key_hash, token.prefix)
    assert token.prefix == scim.secret[:8]
    assert token.last_used is None
    scim.get("Users")
    token.refresh_from_db()
    assert token.last_used is not None


def test_service_provider_config(scim):
    response = scim.get("ServiceProviderConfig")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    config = response.json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["bulk"]["supported"] is False
    assert config["sort"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_schemas_and_resource_types_describe_users_with_the_enterprise_extension(scim):
    schemas = scim.get("Schemas").json()
    assert schemas["totalResults"] == 2
    assert {schema["id"] for schema in schemas["Resources"]} == {USER_SCHEMA, ENTERPRISE}
    user_schema = scim.get(f"Schemas/{USER_SCHEMA}").json()
    assert "userName" in {attribute["name"] for attribute in user_schema["attributes"]}
    assert user_schema["meta"]["location"].endswith(f"/scim/v2/Schemas/{USER_SCHEMA}")
    assert_error(scim.get("Schemas/urn:nope"), 404)
    types = scim.get("ResourceTypes").json()["Resources"]
    assert [(t["id"], t["endpoint"], t["schema"]) for t in types] == [("User", "/Users", USER_SCHEMA)]
    assert types[0]["schemaExtensions"][0]["schema"] == ENTERPRISE
    assert scim.get("ResourceTypes/User").json()["name"] == "User"
    assert_error(scim.get("ResourceTypes/Group"), 404)


def test_groups_are_not_served_and_answer_a_scim_404(scim):
    assert_error(scim.get("Groups"), 404)
    assert_error(scim.post("Groups", {"displayName": "Sales"}), 404)
    assert_error(scim.get("Groups/123"), 404)


def test_bulk_and_me_are_not_implemented(scim):
    assert_error(scim.post("Bulk", {}), 501)
    assert_error(scim.get("Me"), 501)


def test_methods_a_resource_does_not_take(scim):
    assert_error(scim.post("ServiceProviderConfig", {}), 405)
    assert_error(scim.send("patch", "Users", {}), 405)


def test_a_body_that_is_not_json_is_invalid_syntax(scim):
    response = scim.client.post("/scim/v2/Users", b"{not json", content_type="application/scim+json", **scim._headers())
    assert_error(response, 400, "invalidSyntax")
    assert_error(scim.post("Users", ["a list"]), 400, "invalidSyntax")


def test_an_unexpected_failure_is_a_scim_500_and_logged(scim, monkeypatch, caplog):
    from integrated_channels.scim.services import users

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(users, "list_users", broken)
    body = assert_error(scim.get("Users"), 500)
    assert "boom" not in body["detail"]
    assert "SCIM GET /scim/v2/Users failed" in caplog.text
