"""The API's token authentication (decision 0510): DRF's answers, its look-up one written statement."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from enterprise.api.v1.tokens import TokenAuthentication
from tests.api.conftest import client_for
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(user) -> list:
    return [getattr(user, field.attname) for field in get_user_model()._meta.concrete_fields]


def test_a_key_gives_the_same_user_and_token_as_drf_in_one_statement(django_assert_num_queries):
    user = StaffFactory(username="staff", email="Staff@Example.com", first_name="Ada")
    user.last_login = user.date_joined
    user.save()
    token = Token.objects.create(user=user)
    expected = Token.objects.select_related("user").get(key=token.key)  # DRF's own look-up

    with django_assert_num_queries(1):
        found, found_token = TokenAuthentication().authenticate_credentials(token.key)

    assert _fields(found) == _fields(expected.user)
    assert (found.is_active, found.is_staff, found.is_superuser) == (True, True, True)  # booleans, not 1s
    assert (found_token.key, found_token.user_id, found_token.created) == (token.key, user.pk, expected.created)
    assert found_token.user is found  # cached: no query for request.auth.user
    assert found._state.adding is False and found._state.db == "default"


def test_an_unknown_key_and_an_inactive_user_are_refused_as_drf_refuses_them():
    inactive = UserFactory(is_active=False)
    token = Token.objects.create(user=inactive)
    with pytest.raises(exceptions.AuthenticationFailed, match=r"^Invalid token\.$"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    with pytest.raises(exceptions.AuthenticationFailed, match=r"^User inactive or deleted\.$"):
        TokenAuthentication().authenticate_credentials(token.key)


def test_the_api_answers_a_bad_token_401_with_the_token_challenge(customer):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(f"/enterprise/api/v1/customers/{customer.uuid}/learners/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_user_saved_after_authentication_keeps_its_fields():
    user = UserFactory(username="learner", email="learner@example.com")
    found, _token = TokenAuthentication().authenticate_credentials(Token.objects.create(user=user).key)
    found.first_name = "Grace"
    found.save(update_fields=["first_name"])
    user.refresh_from_db()
    assert (user.first_name, user.email, user.password) == ("Grace", "learner@example.com", found.password)
