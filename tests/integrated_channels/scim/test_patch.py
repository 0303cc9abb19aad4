"""PATCH as Microsoft Entra ID, Okta and OneLogin send it (their published request examples and habits)."""

import pytest

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.scim.models import ScimUser
from tests.factories import UserFactory
from tests.integrated_channels.scim.conftest import ENTERPRISE, USER_SCHEMA
from tests.integrated_channels.scim.test_auth_and_discovery import assert_error

ENTRA_CREATE = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee@testuser.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_ab6490ee@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
    ENTERPRISE: {"department": "Finance", "employeeNumber": "701984"},
}
OKTA_CREATE = {
    "schemas": [USER_SCHEMA],
    "userName": "isabelle.ortiz@example.com",
    "name": {"givenName": "Isabelle", "familyName": "Ortiz"},
    "emails": [{"primary": True, "value": "isabelle.ortiz@example.com", "type": "work"}],
    "displayName": "Isabelle Ortiz",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


@pytest.fixture
def entra_user(scim):
    UserFactory(email="test_user_ab6490ee@testuser.com")
    response = scim.post("Users", ENTRA_CREATE)
    assert response.status_code == 201, response.json()
    return response.json()


def learner():
    return EnterpriseCustomerUser.objects.get()


def test_entra_create_with_meta_and_empty_roles(entra_user):
    assert entra_user["userName"] == ENTRA_CREATE["userName"]
    assert learner().attributes["employee_id"] == "701984"


def test_entra_replace_by_value_path_and_sub_attribute(scim, entra_user):
    UserFactory(email="updatedemail@microsoft.com")
    response = scim.patch(
        f"Users/{entra_user['id']}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["emails"] == [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}]
    assert data["name"]["familyName"] == "updatedFamilyName"
    linked = EnterpriseCustomerUser.objects.get(linked=True)
    assert linked.user.email == "updatedemail@microsoft.com"
    assert linked.attributes["last_name"] == "updatedFamilyName"


@pytest.mark.parametrize("value", [False, "False", "false"])
def test_entra_disable_and_enable_unlinks_and_relinks(scim, entra_user, value):
    path = f"Users/{entra_user['id']}"
    response = scim.patch(path, {"op": "Replace", "path": "active", "value": value})
    assert response.json()["active"] is False
    assert not learner().linked
    scim.patch(path, {"op": "Replace", "path": "active", "value": "True"})
    assert learner().linked


def test_entra_pathless_replace_with_attribute_paths_as_keys(scim, entra_user):
    response = scim.patch(
        f"Users/{entra_user['id']}",
        {
            "op": "replace",
            "value": {
                "displayName": "Ann Lee",
                "name.givenName": "Ann",
                f"{ENTERPRISE}:department": "Research",
                "active": "True",
            },
        },
    )
    data = response.json()
    assert data["displayName"] == "Ann Lee"
    assert data["name"]["givenName"] == "Ann"
    assert data[ENTERPRISE]["department"] == "Research"
    assert learner().attributes["department"] == "Research"


def test_entra_adds_an_email_of_a_type_the_user_lacks(scim, entra_user):
    response = scim.patch(
        f"Users/{entra_user['id']}",
        {"op": "Add", "path": 'emails[type eq "home"].value', "value": "home@example.com"},
    )
    assert response.status_code == 200, response.json()
    assert {"value": "home@example.com", "type": "home"} in response.json()["emails"]


def test_entra_manager_as_a_bare_id_then_removed(scim, entra_user):
    boss = scim.create("boss@testuser.com", "boss@testuser.com")
    path = f"Users/{entra_user['id']}"
    response = scim.patch(path, {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]})
    assert response.json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert learner().attributes["manager"] == "boss@testuser.com"
    response = scim.patch(path, {"op": "Remove", "path": f"{ENTERPRISE}:manager"})
    assert "manager" not in response.json()[ENTERPRISE]
    assert learner().attributes["manager"] == ""


def test_entra_clears_the_manager_with_an_empty_value(scim, entra_user):
    boss = scim.create("boss@testuser.com", "boss@testuser.com")
    path = f"Users/{entra_user['id']}"
    scim.patch(path, {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}})
    response = scim.patch(path, {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": ""})
    assert "manager" not in response.json()[ENTERPRISE]


def test_okta_create_drops_the_password_and_deactivates_with_a_pathless_replace(scim):
    UserFactory(email="isabelle.ortiz@example.com")
    created = scim.post("Users", OKTA_CREATE).json()
    assert "password" not in created
    assert "1mz050nq" not in str(ScimUser.objects.get().resource)
    response = scim.patch(f"Users/{created['id']}", {"op": "replace", "value": {"active": False}})
    assert response.json()["active"] is False
    assert not learner().linked


def test_okta_password_change_is_accepted_and_not_kept(scim):
    created = scim.post("Users", OKTA_CREATE).json()
    response = scim.patch(f"Users/{created['id']}", {"op": "replace", "value": {"password": "new-secret"}})
    assert response.status_code == 200
    assert "new-secret" not in str(ScimUser.objects.get().resource)


def test_onelogin_style_add_and_remove_with_paths(scim, entra_user):
    path = f"Users/{entra_user['id']}"
    response = scim.patch(
        path,
        {"op": "add", "path": "title", "value": "Analyst"},
        {"op": "add", "path": "phoneNumbers", "value": [{"value": "+33 1 23", "type": "work"}]},
        {"op": "remove", "path": "externalId"},
    )
    data = response.json()
    assert data["title"] == "Analyst"
    assert data["phoneNumbers"] == [{"value": "+33 1 23", "type": "work"}]
    assert "externalId" not in data
    assert learner().attributes["job_title"] == "Analyst"


def test_remove_of_a_value_selected_by_filter(scim, entra_user):
    path = f"Users/{entra_user['id']}"
    scim.patch(path, {"op": "add", "path": "phoneNumbers", "value": [{"value": "1", "type": "work"}]})
    response = scim.patch(path, {"op": "remove", "path": 'phoneNumbers[value eq "1"]'})
    assert "phoneNumbers" not in response.json()


def test_a_patch_that_changes_nothing_keeps_the_version(scim, entra_user):
    response = scim.patch(f"Users/{entra_user['id']}", {"op": "replace", "path": "active", "value": True})
    assert response.json()["meta"]["version"] == entra_user["meta"]["version"]


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "move", "path": "title", "value": "x"}, "invalidValue"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "title]]", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}, "invalidPath"),
    ],
)
def test_invalid_operations_answer_scim_errors_and_change_nothing(scim, entra_user, operation, scim_type):
    before = ScimUser.objects.get().resource
    response = scim.patch(f"Users/{entra_user['id']}", {"op": "replace", "path": "title", "value": "T"}, operation)
    assert_error(response, 400, scim_type)
    assert ScimUser.objects.get().resource == before


def test_a_patch_without_operations_is_refused(scim, entra_user):
    response = scim.send("patch", f"Users/{entra_user['id']}", {"schemas": ["urn:nope"]})
    assert response.status_code == 400


def test_patch_and_get_cost_a_fixed_number_of_queries(scim, entra_user, django_assert_num_queries):
    path = f"Users/{entra_user['id']}"
    with django_assert_num_queries(2):  # the token and the user
        scim.get(path)
    # The token, the user locked, its update, bulk_link's look-ups (the account, its link: nothing to
    # write) and the attributes' merge; the test's transaction adds a savepoint and its release.
    with django_assert_num_queries(8):
        scim.patch(path, {"op": "replace", "path": "title", "value": "Lead"})
