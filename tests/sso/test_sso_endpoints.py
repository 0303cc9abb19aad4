"""SP metadata, sign-in start (optionally signed), configuration errors and the SP credentials."""

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from lxml import etree

from enterprise.sso.models import (
    ConsumedAssertion,
    OutstandingAuthnRequest,
    SAMLIdentityProviderConfig,
    ServiceProviderCredentials,
)
from tests.factories import IdentityProviderFactory
from tests.fakes.saml_idp import make_key_pair
from tests.sso.conftest import SP_BASE_URL, SP_ENTITY_ID

pytestmark = pytest.mark.django_db
MD = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}


def test_sp_metadata_names_the_entity_id_and_this_idps_acs(provider, browser):
    response = browser.get(f"/sso/saml/{provider.provider_id}/metadata/", secure=True)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(response.content)
    assert root.get("entityID") == SP_ENTITY_ID
    (acs,) = root.findall(".//md:AssertionConsumerService", MD)
    assert acs.get("Location") == f"{SP_BASE_URL}/sso/saml/{provider.provider_id}/acs/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert root.find(".//md:SPSSODescriptor", MD).get("WantAssertionsSigned") == "true"


def test_unknown_and_disabled_providers_answer_404(provider, browser):
    assert browser.get("/sso/saml/nobody/metadata/").status_code == 404
    provider.config.enabled = False
    provider.config.save()
    assert browser.get(f"/sso/saml/{provider.provider_id}/login/").status_code == 404
    assert browser.post(f"/sso/saml/{provider.provider_id}/acs/", {"SAMLResponse": "x"}).status_code == 404


def test_login_start_sends_an_authn_request_to_the_idp_and_remembers_it(provider, browser):
    response = browser.get(f"/sso/saml/{provider.provider_id}/login/", {"next": "/courses/"}, secure=True)

    assert response["Location"].startswith(provider.idp.sso_url + "?SAMLRequest=")
    request = provider.idp.read_authn_request(response["Location"])
    assert request.issuer == SP_ENTITY_ID
    assert request.acs_url == provider.acs_url
    assert request.relay_state == "/courses/"
    outstanding = OutstandingAuthnRequest.objects.get()
    assert (outstanding.request_id, outstanding.relay_state) == (request.request_id, "/courses/")
    assert "Signature" not in parse_qs(urlsplit(response["Location"]).query)


def test_login_start_replaces_a_foreign_next_by_the_default(provider):
    request = provider.start(next_url="https://evil.example.net/")
    assert request.relay_state == "/"


def verify_redirect_signature(url: str, certificate_pem: str) -> None:
    query = urlsplit(url).query
    parts = dict(part.split("=", 1) for part in query.split("&"))
    signed = "&".join(f"{name}={parts[name]}" for name in ("SAMLRequest", "RelayState", "SigAlg") if name in parts)
    assert unquote(parts["SigAlg"]) == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    certificate.public_key().verify(
        base64.b64decode(unquote(parts["Signature"])), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_authn_requests_are_signed_with_the_sp_key_from_the_database(provider, browser):
    call_command("saml_sp_credentials", "--generate", "--common-name", "test-sp", stdout=open("/dev/null", "w"))  # noqa: SIM115
    provider.config.sign_authn_requests = True
    provider.config.save()

    response = browser.get(f"/sso/saml/{provider.provider_id}/login/", secure=True)

    verify_redirect_signature(response["Location"], ServiceProviderCredentials.objects.get().certificate)
    metadata = etree.fromstring(browser.get(f"/sso/saml/{provider.provider_id}/metadata/").content)
    assert metadata.find(".//md:SPSSODescriptor", MD).get("AuthnRequestsSigned") == "true"
    assert metadata.find(".//md:KeyDescriptor//ds:X509Certificate", MD) is not None


def test_sp_keys_from_settings_win_over_the_database(settings, sp_settings, provider, browser):
    certificate, key = make_key_pair("settings-sp")
    settings.ENTERPRISE_SSO = {**sp_settings, "SP_CERTIFICATE": certificate, "SP_PRIVATE_KEY": key}
    provider.config.sign_authn_requests = True
    provider.config.save()

    response = browser.get(f"/sso/saml/{provider.provider_id}/login/", secure=True)

    verify_redirect_signature(response["Location"], certificate)


def test_signed_requests_without_an_sp_key_are_a_configuration_error_page(provider, browser):
    provider.config.sign_authn_requests = True
    provider.config.save()

    response = browser.get(f"/sso/saml/{provider.provider_id}/login/", secure=True)

    assert response.status_code == 500
    assert b"no private key" in response.content
    assert not OutstandingAuthnRequest.objects.exists()


def test_the_sp_private_key_is_stored_encrypted_and_the_command_refuses_to_overwrite(capsys):
    call_command("saml_sp_credentials", "--generate")
    row = ServiceProviderCredentials.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM enterprise_sso_serviceprovidercredentials")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:")
    assert "PRIVATE KEY" in row.private_key
    assert "BEGIN CERTIFICATE" in capsys.readouterr().out

    with pytest.raises(Exception, match="--replace"):
        call_command("saml_sp_credentials", "--generate")
    call_command("saml_sp_credentials", "--generate", "--replace")
    assert ServiceProviderCredentials.objects.get().certificate != row.certificate


def test_the_database_keeps_one_sp_credentials_row():
    ServiceProviderCredentials.objects.create(certificate="c", private_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceProviderCredentials.objects.create(certificate="c2", private_key="k2")


def test_the_database_refuses_a_config_that_requires_no_signature(provider):
    provider.config.require_signed_response = False
    provider.config.require_signed_assertion = False
    with pytest.raises(IntegrityError), transaction.atomic():
        provider.config.save()


def test_the_database_refuses_two_configs_for_one_idp_or_one_entity_id(provider):
    with pytest.raises(IntegrityError), transaction.atomic():
        SAMLIdentityProviderConfig.objects.create(
            identity_provider=provider.config.identity_provider,
            entity_id="x",
            sso_url="https://x",
            x509_certificate="c",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SAMLIdentityProviderConfig.objects.create(
            identity_provider=IdentityProviderFactory(),
            entity_id=provider.config.entity_id,
            sso_url="https://x",
            x509_certificate="c",
        )


def test_the_database_records_an_assertion_id_once_per_idp(provider):
    idp = provider.config.identity_provider
    ConsumedAssertion.objects.create(identity_provider=idp, assertion_id="_a1", expires_at="2100-01-01T00:00:00Z")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsumedAssertion.objects.create(identity_provider=idp, assertion_id="_a1", expires_at="2100-01-01T00:00:00Z")
    ConsumedAssertion.objects.create(
        identity_provider=IdentityProviderFactory(), assertion_id="_a1", expires_at="2100-01-01T00:00:00Z"
    )


def test_expired_assertion_ids_are_forgotten_at_the_next_sign_in(provider):
    idp = provider.config.identity_provider
    ConsumedAssertion.objects.create(identity_provider=idp, assertion_id="_old", expires_at="2000-01-01T00:00:00Z")

    provider.sign_in()

    assert list(ConsumedAssertion.objects.values_list("assertion_id", flat=True)) != ["_old"]
    assert not ConsumedAssertion.objects.filter(assertion_id="_old").exists()
