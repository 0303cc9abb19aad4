"""Creating, reading, replacing and deleting SCIM users: the learners they link, through the enterprise services."""

import pytest

from enterprise.models import EnterpriseCustomerUser, LearnerField, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes
from integrated_channels.scim.models import ScimUser
from tests.factories import CustomerFactory, LearnerFactory, UserFactory
from tests.integrated_channels.scim.conftest import ENTERPRISE, USER_SCHEMA, user_body
from tests.integrated_channels.scim.test_auth_and_discovery import assert_error


def learner_of(customer, email):
    return EnterpriseCustomerUser.objects.get(customer=customer, user__email__iexact=email)


def test_creating_a_user_of_an_existing_account_links_the_learner_with_its_attributes(scim):
    UserFactory(username="ann", email="Ann@Example.com")
    boss = scim.create("boss@example.com", "boss@example.com")
    body = user_body(
        "ann@example.com",
        "ann@example.com",
        name={"givenName": "Ann", "familyName": "Lee"},
        title="Engineer",
        addresses=[{"locality": "Lyon", "country": "FR", "primary": True}],
        externalId="ext-1",
    )
    body[ENTERPRISE] = {"employeeNumber": "E42", "department": "R&D", "manager": {"value": boss["id"]}}
    response = scim.post("Users", body)
    assert response.status_code == 201
    created = response.json()
    assert response["Location"] == f"http://testserver/scim/v2/Users/{created['id']}"
    assert created["meta"]["resourceType"] == "User"
    assert created["meta"]["location"] == response["Location"]
    assert created["userName"] == "ann@example.com"
    assert created["externalId"] == "ext-1"
    assert created[ENTERPRISE]["manager"]["value"] == boss["id"]
    learner = learner_of(scim.customer, "ann@example.com")
    assert learner.linked
    assert learner.attributes == {
        "first_name": "Ann",
        "last_name": "Lee",
        "job_title": "Engineer",
        "employee_id": "E42",
        "department": "R&D",
        "manager": "boss@example.com",
        "location": "Lyon",
        "country": "FR",
    }
    assert scim.get(f"Users/{created['id']}").json() == created


def test_creating_a_user_of_an_unknown_address_makes_a_pending_learner(scim):
    body = user_body("new@example.com", "New@Example.com")
    body[ENTERPRISE] = {"department": "Sales"}
    scim.post("Users", body)
    assert PendingEnterpriseCustomerUser.objects.filter(customer=scim.customer, user_email="new@example.com").exists()
    stored = PendingLearnerAttributes.objects.get(customer=scim.customer, email="new@example.com")
    assert stored.attributes["department"] == "Sales"


def test_custom_learner_fields_are_filled_from_the_enterprise_extension(scim):
    LearnerField.objects.create(customer=scim.customer, key="cost_center", label="Cost center")
    UserFactory(email="cc@example.com")
    body = user_body("cc@example.com", "cc@example.com")
    body[ENTERPRISE] = {"costCenter": "4130", "division": "Ignored: no such learner field"}
    scim.post("Users", body)
    attributes = learner_of(scim.customer, "cc@example.com").attributes
    assert attributes["cost_center"] == "4130"
    assert "division" not in attributes


def test_the_learner_email_is_the_primary_then_work_then_first_then_the_user_name(scim):
    emails = [{"value": "home@example.com", "type": "home"}, {"value": "work@example.com", "type": "work"}]
    scim.create("u1", emails=emails)
    scim.create("u2@example.com")
    assert set(ScimUser.objects.values_list("user_name", "email")) == {
        ("u1", "work@example.com"),
        ("u2@example.com", "u2@example.com"),
    }


def test_a_user_without_an_email_is_kept_but_is_no_learner(scim):
    created = scim.create("no-mail")
    assert ScimUser.objects.get(pk=created["id"]).email == ""
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert not EnterpriseCustomerUser.objects.exists()


def test_an_invalid_email_is_an_invalid_value(scim):
    assert_error(scim.post("Users", user_body("x", "not-an-address")), 400, "invalidValue")


def test_a_person_of_another_customer_is_a_conflict_that_names_no_customer(scim):
    LearnerFactory(customer=CustomerFactory(name="Globex"), user=UserFactory(email="taken@example.com"))
    body = assert_error(scim.post("Users", user_body("taken", "taken@example.com")), 409, "uniqueness")
    assert "Globex" not in body["detail"]
    assert not ScimUser.objects.exists()  # nothing half-done


def test_user_name_is_unique_per_customer_case_insensitively(scim, other_scim):
    scim.create("Ann", "ann@example.com")
    assert_error(scim.post("Users", user_body("ANN", "ann2@example.com")), 409, "uniqueness")
    assert_error(scim.post("Users", user_body("bob", "ANN@example.com")), 409, "uniqueness")
    other_scim.create("ann", "ann.other@example.com")  # another customer's users are another namespace


def test_a_missing_user_name_is_refused(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "emails": [{"value": "a@example.com"}]})
    assert response.status_code == 400
    assert response.json()["scimType"] in {"invalidValue", "invalidSyntax"}


def test_customers_never_see_or_change_each_others_users(scim, other_scim):
    created = scim.create("ann@example.com", "ann@example.com")
    path = f"Users/{created['id']}"
    assert_error(other_scim.get(path), 404)
    assert_error(other_scim.put(path, user_body("x@example.com", "x@example.com")), 404)
    assert_error(other_scim.patch(path, {"op": "replace", "path": "active", "value": False}), 404)
    assert_error(other_scim.delete(path), 404)
    assert other_scim.get("Users").json()["totalResults"] == 0
    assert scim.get(path).status_code == 200


def test_unknown_ids_are_not_found(scim):
    assert_error(scim.get("Users/not-a-uuid"), 404)
    assert_error(scim.get("Users/00000000-0000-0000-0000-000000000000"), 404)


def test_put_replaces_the_resource_and_clears_what_it_leaves_out(scim):
    UserFactory(email="ann@example.com")
    body = user_body("ann@example.com", "ann@example.com", title="Engineer")
    body[ENTERPRISE] = {"department": "R&D"}
    created = scim.post("Users", body).json()
    replaced = scim.put(f"Users/{created['id']}", user_body("ann@example.com", "ann@example.com", displayName="Ann"))
    assert replaced.status_code == 200
    data = replaced.json()
    assert data["displayName"] == "Ann"
    assert "title" not in data and ENTERPRISE not in data
    assert data["meta"]["version"] == 'W/"2"'
    attributes = learner_of(scim.customer, "ann@example.com").attributes
    assert attributes["department"] == attributes["job_title"] == ""


def test_put_with_a_new_email_moves_the_learner(scim):
    UserFactory(email="old@example.com")
    UserFactory(email="new@example.com")
    created = scim.create("ann", "old@example.com")
    scim.put(f"Users/{created['id']}", user_body("ann", "new@example.com"))
    assert not learner_of(scim.customer, "old@example.com").linked
    assert learner_of(scim.customer, "new@example.com").linked


def test_delete_unlinks_the_learner_softly_and_removes_the_user(scim):
    UserFactory(email="ann@example.com")
    created = scim.create("ann", "ann@example.com")
    pending = scim.create("pen", "pending@example.com")
    assert scim.delete(f"Users/{created['id']}").status_code == 204
    assert scim.delete(f"Users/{pending['id']}").status_code == 204
    learner = learner_of(scim.customer, "ann@example.com")
    assert not learner.linked and learner.unlinked_at is not None  # history kept
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert not ScimUser.objects.exists()
    assert_error(scim.get(f"Users/{created['id']}"), 404)
    assert_error(scim.delete(f"Users/{created['id']}"), 404)


def test_an_existing_learner_is_adopted_not_duplicated(scim):
    LearnerFactory(customer=scim.customer, user=UserFactory(email="ann@example.com"), attributes={"hire_date": "2020"})
    scim.post("Users", user_body("ann", "ann@example.com", title="CTO"))
    learner = EnterpriseCustomerUser.objects.get()
    assert learner.attributes["hire_date"] == "2020"  # not a SCIM field: kept
    assert learner.attributes["job_title"] == "CTO"


@pytest.mark.parametrize("parameters", [{"attributes": "userName"}, {"excludedAttributes": "emails,name"}])
def test_attributes_and_excluded_attributes(scim, parameters):
    created = scim.create("ann", "ann@example.com", name={"givenName": "Ann"})
    data = scim.get(f"Users/{created['id']}", parameters).json()
    assert data["id"] == created["id"] and data["userName"] == "ann"
    assert "emails" not in data and "name" not in data


def test_create_costs_a_fixed_number_of_queries(scim, django_assert_num_queries):
    UserFactory(email="q@example.com")
    scim.create("warm", "warm@example.com")  # the token's last_used is written once
    # The token, the user's insert, then bulk_link's look-ups and insert (its own savepoint) and the
    # attributes' merge; the test's transaction turns the request's into a savepoint (2 of the 10,
    # absent in production). No custom learner field is read: the user sends none of their sources.
    with django_assert_num_queries(10):
        scim.create("q", "q@example.com")


def test_put_ignores_an_id_in_the_body(scim):
    created = scim.create("ann", "ann@example.com")
    body = user_body("ann", "ann@example.com", id="00000000-0000-0000-0000-000000000001", title="CTO")
    response = scim.put(f"Users/{created['id']}", body)
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == created["id"]
    assert response.json()["title"] == "CTO"


def test_a_body_too_large_is_a_scim_413(scim, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = scim.post("Users", user_body("ann", "ann@example.com", displayName="x" * 200))
    assert_error(response, 413)


def test_a_managers_new_email_reaches_the_learners_they_manage(scim):
    UserFactory(email="ann@example.com")
    boss = scim.create("boss", "boss@example.com")
    body = user_body("ann", "ann@example.com")
    body[ENTERPRISE] = {"manager": {"value": boss["id"]}}
    scim.post("Users", body)
    pending = user_body("pen", "pen@example.com")
    pending[ENTERPRISE] = {"manager": boss["id"]}
    scim.post("Users", pending)
    scim.patch(f"Users/{boss['id']}", {"op": "replace", "path": "emails", "value": [{"value": "chief@example.com"}]})
    assert learner_of(scim.customer, "ann@example.com").attributes["manager"] == "chief@example.com"
    assert PendingLearnerAttributes.objects.get(email="pen@example.com").attributes["manager"] == "chief@example.com"


def test_a_custom_field_is_cleared_when_the_identity_provider_stops_sending_it(scim):
    LearnerField.objects.create(customer=scim.customer, key="division", label="Division")
    UserFactory(email="dv@example.com")
    body = user_body("dv", "dv@example.com")
    body[ENTERPRISE] = {"division": "North"}
    created = scim.post("Users", body).json()
    assert learner_of(scim.customer, "dv@example.com").attributes["division"] == "North"
    scim.put(f"Users/{created['id']}", user_body("dv", "dv@example.com"))
    assert learner_of(scim.customer, "dv@example.com").attributes["division"] == ""
