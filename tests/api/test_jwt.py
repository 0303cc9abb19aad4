"""JWT authentication (``enterprise.api.v1.authentication``): tokens of the host LMS, when enabled."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from tests.api.conftest import client_for, errors_of

URL = "/enterprise/api/v1/customers/"
ISSUER = "https://lms.example.com/oauth2"
AUDIENCE = "enterprise-api"
SECRET = "a-shared-secret-of-the-lms-at-least-32-bytes-long"


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private_key) -> str:
    public = private_key.public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return _rsa_key()


@pytest.fixture
def jwt_settings(settings):
    settings.ENTERPRISE_API = {
        "JWT_ENABLED": True,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_SECRET_KEY": SECRET,
    }
    return settings


def claims(**overrides):
    now = int(time.time())
    values = {
        "preferred_username": "acme-admin",
        "email": "acme-admin@example.com",
        "administrator": False,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def hs256(**overrides) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


def get(token: str, keyword: str = "JWT"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    return client.get(URL)


def assert_refused(response, code="invalid_token"):
    assert response.status_code == 401, response.content
    errors = errors_of(response)
    assert [entry["code"] for entry in errors] == [code], errors
    return errors[0]["message"]


# -- accepted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["JWT", "Bearer", "bearer"])
def test_hs256_token_authenticates_the_existing_user(jwt_settings, customer_admin, other_customer, keyword):
    response = get(hs256(), keyword)
    assert response.status_code == 200, response.content
    assert [row["slug"] for row in response.json()["results"]] == ["acme"]  # the admin's role applies


def test_username_claim_is_a_fallback(jwt_settings, customer_admin):
    assert get(hs256(preferred_username=None, username="acme-admin")).status_code == 200


def test_rs256_token_with_a_pem_public_key(jwt_settings, customer_admin, rsa_key):
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_PUBLIC_KEYS": [_pem(rsa_key)]}
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert get(token).status_code == 200


def test_rs256_token_with_a_jwk_set_picks_the_key_by_kid(jwt_settings, customer_admin, rsa_key):
    old_key = _rsa_key()
    jwks = {
        "keys": [
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(old_key.public_key())), "kid": "old"},
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "new"},
        ]
    }
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_PUBLIC_KEYS": [json.dumps(jwks)]}
    assert get(jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "new"})).status_code == 200
    assert get(jwt.encode(claims(), old_key, algorithm="RS256", headers={"kid": "old"})).status_code == 200
    # Signed by the new key but naming the old one: only the old key is tried.
    assert_refused(get(jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "old"})))


def test_a_list_audience_naming_this_service_is_accepted(jwt_settings, customer_admin):
    assert get(hs256(aud=["other-service", AUDIENCE])).status_code == 200


def test_leeway_allows_a_little_clock_difference(jwt_settings, customer_admin):
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_LEEWAY": 30}
    assert get(hs256(exp=int(time.time()) - 5)).status_code == 200


# -- refused ----------------------------------------------------------------------------------


def test_expired_token_is_401(jwt_settings, customer_admin):
    message = assert_refused(get(hs256(exp=int(time.time()) - 1)), code="token_expired")
    assert "expired" in message


def test_token_without_expiry_is_401(jwt_settings, customer_admin):
    assert "exp" in assert_refused(get(hs256(exp=None)))


@pytest.mark.parametrize("aud", ["another-service", ["another-service"], None])
def test_wrong_or_missing_audience_is_401(jwt_settings, customer_admin, aud):
    assert_refused(get(hs256(aud=aud)))


@pytest.mark.parametrize("iss", ["https://evil.example.com/oauth2", None])
def test_wrong_or_missing_issuer_is_401(jwt_settings, customer_admin, iss):
    assert_refused(get(hs256(iss=iss)))


def test_token_signed_with_another_secret_is_401(jwt_settings, customer_admin):
    token = jwt.encode(claims(), "another-secret-that-is-at-least-32-bytes-long!", algorithm="HS256")
    assert "signature" in assert_refused(get(token))


def test_tampered_payload_is_401(jwt_settings, customer_admin, other_admin):
    header, _, signature = hs256().split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(preferred_username="globex-admin")).encode())
    token = f"{header}.{forged.decode().rstrip('=')}.{signature}"
    assert_refused(get(token))


def test_tampered_signature_is_401(jwt_settings, customer_admin):
    header, payload, signature = hs256().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_refused(get(f"{header}.{payload}.{flipped}"))


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "JWT"])
def test_garbage_is_401(jwt_settings, customer_admin, token):
    assert_refused(get(token))


def test_unsigned_token_is_401(jwt_settings, customer_admin):
    token = jwt.encode(claims(), None, algorithm="none")
    assert "algorithm" in assert_refused(get(token))


def test_hs256_signed_with_the_public_key_is_401(jwt_settings, customer_admin, rsa_key):
    """Algorithm confusion: the RSA public key used as an HMAC secret must not verify."""
    pem = _pem(rsa_key)
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_SECRET_KEY": "", "JWT_PUBLIC_KEYS": [pem]}
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(pem.encode(), header + b"." + payload, hashlib.sha256).digest())
    token = b".".join([header, payload, signature.rstrip(b"=")]).decode()
    assert_refused(get(token))


def test_rs256_refused_without_public_keys(jwt_settings, customer_admin, rsa_key):
    assert_refused(get(jwt.encode(claims(), rsa_key, algorithm="RS256")))


def test_two_words_after_the_keyword_is_401(jwt_settings, customer_admin):
    assert_refused(get(f"{hs256()} extra"))


def test_unknown_user_is_401_and_not_created(jwt_settings, customer_admin):
    assert_refused(get(hs256(preferred_username="nobody")), code="unknown_user")
    assert not get_user_model().objects.filter(username="nobody").exists()


def test_token_naming_no_user_is_401(jwt_settings, customer_admin):
    assert_refused(get(hs256(preferred_username=None)))


def test_inactive_user_is_401(jwt_settings, customer_admin):
    customer_admin.is_active = False
    customer_admin.save()
    assert_refused(get(hs256()), code="user_inactive")


def test_401_names_the_token_scheme_first(jwt_settings, customer_admin):
    response = get(hs256(exp=int(time.time()) - 1))
    assert response["WWW-Authenticate"] == "Token"


# -- configuration ----------------------------------------------------------------------------


def test_disabled_jwt_is_ignored(settings, customer_admin):
    settings.ENTERPRISE_API = {"JWT_ENABLED": False, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}
    response = get(hs256())
    assert response.status_code == 401
    assert [entry["code"] for entry in errors_of(response)] == ["not_authenticated"]


def test_creates_users_only_when_configured_and_never_staff(jwt_settings, db):
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_CREATE_USERS": True}
    response = get(hs256(preferred_username="newcomer", email="newcomer@example.com", administrator=True))
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []  # a learner: no customer of their own
    user = get_user_model().objects.get(username="newcomer")
    assert (user.email, user.is_staff, user.is_superuser, user.has_usable_password()) == (
        "newcomer@example.com",
        False,
        False,
        False,
    )


def test_administrator_claim_does_not_make_an_existing_user_staff(jwt_settings, customer_admin):
    assert get(hs256(administrator=True)).status_code == 200
    customer_admin.refresh_from_db()
    assert not customer_admin.is_staff


@pytest.mark.parametrize(
    "config",
    [
        {"JWT_ENABLED": True, "JWT_AUDIENCE": AUDIENCE, "JWT_SECRET_KEY": SECRET},
        {"JWT_ENABLED": True, "JWT_ISSUER": ISSUER, "JWT_SECRET_KEY": SECRET},
        {"JWT_ENABLED": True, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE},
    ],
)
def test_enabled_without_issuer_audience_or_keys_is_improperly_configured(settings, customer_admin, config):
    settings.ENTERPRISE_API = config
    client = APIClient(raise_request_exception=True)
    client.credentials(HTTP_AUTHORIZATION=f"JWT {hs256()}")
    with pytest.raises(ImproperlyConfigured, match="ENTERPRISE_API"):
        client.get(URL)


def test_token_and_session_still_work_with_jwt_enabled(jwt_settings, customer_admin, client):
    assert client_for(customer_admin).get(URL).status_code == 200
    client.force_login(customer_admin)
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("keys", [["{not json"], [{"kty": "nope"}], ['{"keys": []}']])
def test_unreadable_public_keys_are_improperly_configured(jwt_settings, customer_admin, rsa_key, keys):
    jwt_settings.ENTERPRISE_API = {**jwt_settings.ENTERPRISE_API, "JWT_PUBLIC_KEYS": keys}
    client = APIClient(raise_request_exception=True)
    client.credentials(HTTP_AUTHORIZATION=f"JWT {jwt.encode(claims(), rsa_key, algorithm='RS256')}")
    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEYS"):
        client.get(URL)
