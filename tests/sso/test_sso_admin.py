"""Admin of the SAML configuration: metadata parsed on save, hostile XML refused, secrets never shown."""

import pytest

from enterprise.sso.models import SAMLIdentityProviderConfig, ServiceProviderCredentials
from tests.factories import IdentityProviderFactory, UserFactory
from tests.fakes.saml_idp import SAMLIdP

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/enterprise_sso/samlidentityproviderconfig/add/"


@pytest.fixture
def idp():
    made = SAMLIdP("https://idp.hooli.example.com/saml")
    yield made
    made.close()


def form_data(identity_provider, **overrides):
    data = {
        "identity_provider": identity_provider.pk,
        "enabled": "on",
        "metadata_xml": "",
        "entity_id": "",
        "sso_url": "",
        "x509_certificate": "",
        "remote_id_attribute": "",
        "email_attribute": "urn:oid:0.9.2342.19200300.100.1.3",
        "first_name_attribute": "",
        "last_name_attribute": "",
        "require_signed_response": "on",
        "require_signed_assertion": "on",
    }
    data.update(overrides)
    return data


def test_pasting_metadata_fills_entity_id_sso_url_and_certificate(staff_client, idp):
    identity_provider = IdentityProviderFactory()

    response = staff_client.post(ADD_URL, form_data(identity_provider, metadata_xml=idp.metadata_xml()))

    assert response.status_code == 302, response.content.decode()
    config = SAMLIdentityProviderConfig.objects.get()
    assert (config.entity_id, config.sso_url) == (idp.entity_id, idp.sso_url)
    assert "BEGIN CERTIFICATE" in config.x509_certificate


def test_hostile_metadata_is_a_form_error(staff_client, idp):
    hostile = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + idp.metadata_xml().split("?>", 1)[-1]

    response = staff_client.post(ADD_URL, form_data(IdentityProviderFactory(), metadata_xml=hostile))

    assert response.status_code == 200
    assert "declares a DTD or entities" in response.content.decode()
    assert "root:x:0:0" not in response.content.decode()
    assert not SAMLIdentityProviderConfig.objects.exists()


def test_requiring_no_signature_is_a_form_error(staff_client, idp):
    data = form_data(
        IdentityProviderFactory(), entity_id=idp.entity_id, sso_url=idp.sso_url, x509_certificate=idp.certificate
    )
    del data["require_signed_response"], data["require_signed_assertion"]

    response = staff_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert "Require a signed response, a signed assertion or both" in response.content.decode()


def test_the_change_page_shows_what_to_give_the_idp(staff_client, idp):
    identity_provider = IdentityProviderFactory(provider_id="hooli")
    config = SAMLIdentityProviderConfig.objects.create(
        identity_provider=identity_provider, entity_id=idp.entity_id, sso_url=idp.sso_url, x509_certificate="c"
    )

    page = staff_client.get(f"/admin/enterprise_sso/samlidentityproviderconfig/{config.pk}/change/")

    assert "/sso/saml/hooli/metadata/" in page.content.decode()
    assert "/sso/saml/hooli/acs/" in page.content.decode()


def test_the_sp_private_key_is_never_shown_and_blank_keeps_it(staff_client):
    row = ServiceProviderCredentials.objects.create(certificate="CERT", private_key="-----BEGIN PRIVATE KEY-----SECRET")
    url = f"/admin/enterprise_sso/serviceprovidercredentials/{row.pk}/change/"

    assert "SECRET" not in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"certificate": "CERT2", "private_key": ""})

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.certificate, row.private_key) == ("CERT2", "-----BEGIN PRIVATE KEY-----SECRET")
    assert staff_client.get("/admin/enterprise_sso/serviceprovidercredentials/add/").status_code == 403


def test_non_staff_users_cannot_reach_the_saml_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/enterprise_sso/samlidentityproviderconfig/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
