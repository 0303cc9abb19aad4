"""A customer with a SAML identity provider played by pysaml2, and a browser to sign in with."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from enterprise.sso.models import SAMLIdentityProviderConfig
from tests.factories import CustomerFactory, IdentityProviderFactory
from tests.fakes.saml_idp import GIVEN_NAME, MAIL, SAP_USER_ID, SURNAME, SAMLIdP

SP_BASE_URL = "https://learn.example.com"
SP_ENTITY_ID = "https://learn.example.com/sso/saml/"


@pytest.fixture(autouse=True)
def sp_settings(settings):
    settings.ENTERPRISE_SSO = {"SP_ENTITY_ID": SP_ENTITY_ID, "SP_BASE_URL": SP_BASE_URL}
    settings.ALLOWED_HOSTS = ["learn.example.com", "testserver"]
    return settings.ENTERPRISE_SSO


@pytest.fixture
def browser():
    return Client(HTTP_HOST="learn.example.com")


@dataclass
class Provider:
    """A customer's identity provider: the pysaml2 IdP, its configuration here, and sign-in helpers."""

    idp: SAMLIdP
    config: SAMLIdentityProviderConfig
    browser: Client

    @property
    def provider_id(self):
        return self.config.identity_provider.provider_id

    @property
    def customer(self):
        return self.config.identity_provider.customer

    @property
    def acs_url(self):
        return f"{SP_BASE_URL}/sso/saml/{self.provider_id}/acs/"

    def start(self, next_url="/dashboard/"):
        response = self.browser.get(f"/sso/saml/{self.provider_id}/login/", {"next": next_url}, secure=True)
        assert response.status_code == 302, response.content
        return self.idp.read_authn_request(response["Location"])

    def answer(self, request=None, *, name_id="sf-1001", email="ada@acme.example.com", **kwargs):
        attributes = kwargs.pop("attributes", None)
        if attributes is None:
            attributes = {MAIL: email, GIVEN_NAME: "Ada", SURNAME: "Lovelace", SAP_USER_ID: name_id.upper()}
        return self.idp.response(
            sp_entity_id=SP_ENTITY_ID,
            acs_url=kwargs.pop("acs_url", self.acs_url),
            in_response_to=request.request_id if request else None,
            name_id=name_id,
            attributes=attributes,
            **kwargs,
        )

    def post(self, saml_response, *, relay_state=None, provider_id=None):
        data = {"SAMLResponse": saml_response}
        if relay_state is not None:
            data["RelayState"] = relay_state
        return self.browser.post(f"/sso/saml/{provider_id or self.provider_id}/acs/", data, secure=True)

    def sign_in(self, **kwargs):
        request = self.start(kwargs.pop("next_url", "/dashboard/"))
        return self.post(self.answer(request, **kwargs))


def make_provider(browser, *, entity_id, customer=None, crypto="xmlsec-module", **config) -> Provider:
    idp = SAMLIdP(entity_id, crypto=crypto)
    identity_provider = IdentityProviderFactory(customer=customer or CustomerFactory())
    saml_config = SAMLIdentityProviderConfig.objects.create(
        identity_provider=identity_provider,
        entity_id=idp.entity_id,
        sso_url=idp.sso_url,
        x509_certificate=idp.certificate,
        remote_id_attribute=SAP_USER_ID,
        **config,
    )
    metadata = browser.get(f"/sso/saml/{identity_provider.provider_id}/metadata/", secure=True)
    assert metadata.status_code == 200, metadata.content
    idp.trust_sp(metadata.content.decode())
    return Provider(idp, saml_config, browser)


@pytest.fixture
def provider(db, browser):
    made = make_provider(browser, entity_id="https://idp.acme.example.com/saml")
    yield made
    made.idp.close()


@pytest.fixture
def other_provider(db, browser):
    made = make_provider(browser, entity_id="https://idp.globex.example.com/saml")
    yield made
    made.idp.close()
