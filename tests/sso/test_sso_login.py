"""Signing in through a customer's SAML identity provider (pysaml2 as the IdP), end to end."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model

from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerUser,
    LearnerRemoteIdentity,
    PendingEnterpriseCustomerUser,
)
from enterprise.sso.models import ConsumedAssertion, OutstandingAuthnRequest
from tests.factories import (
    CourseFactory,
    LearnerFactory,
    PendingEnrollmentFactory,
    PendingLearnerFactory,
    StaffFactory,
    UserFactory,
)
from tests.fakes.saml_idp import MAIL, SAP_USER_ID, XMLSEC1
from tests.sso.conftest import SP_BASE_URL, SP_ENTITY_ID, make_provider

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in_user(browser):
    user_id = browser.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_refused(response, status, text):
    assert response.status_code == status, response.content.decode()
    assert text in response.content.decode()
    assert "You are not signed in" in response.content.decode()


# Valid sign-ins


def test_a_new_learner_is_created_linked_given_their_remote_id_and_signed_in(provider, browser):
    response = provider.sign_in(next_url="/dashboard/")

    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/dashboard/"
    user = signed_in_user(browser)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ada",
        "ada@acme.example.com",
        "Ada",
        "Lovelace",
    )
    assert not user.has_usable_password()
    learner = EnterpriseCustomerUser.objects.get(user=user)
    assert (learner.customer, learner.linked) == (provider.customer, True)
    identity = LearnerRemoteIdentity.objects.get(user=user)
    assert (identity.identity_provider, identity.remote_id) == (provider.config.identity_provider, "SF-1001")


def test_the_remote_id_defaults_to_the_name_id(provider, browser):
    provider.config.remote_id_attribute = ""
    provider.config.save()

    provider.sign_in(name_id="persistent-77")

    assert LearnerRemoteIdentity.objects.get().remote_id == "persistent-77"


def test_an_existing_user_with_the_asserted_email_is_linked_not_duplicated(provider, browser):
    existing = UserFactory(username="ada.l", email="Ada@Acme.example.com")

    response = provider.sign_in()

    assert response.status_code == 302
    assert signed_in_user(browser) == existing
    assert User.objects.count() == 1
    assert EnterpriseCustomerUser.objects.get(user=existing).customer == provider.customer
    assert LearnerRemoteIdentity.objects.get(user=existing).remote_id == "SF-1001"


def test_a_returning_learner_is_found_by_remote_id_even_after_an_email_change(provider, browser):
    provider.sign_in(email="ada@acme.example.com")
    first = signed_in_user(browser)
    browser.logout()

    provider.sign_in(email="ada.lovelace@acme.example.com")

    assert signed_in_user(browser) == first
    first.refresh_from_db()
    assert first.email == "ada.lovelace@acme.example.com"
    assert User.objects.count() == 1


def test_a_pending_learner_becomes_linked_with_their_pending_enrollments(provider, browser):
    course = CourseFactory(modes=["audit"])
    pending = PendingLearnerFactory(customer=provider.customer, user_email="ada@acme.example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id, mode="audit")

    response = provider.sign_in()

    assert response.status_code == 302
    user = signed_in_user(browser)
    assert EnterpriseCustomerUser.objects.get(user=user, linked=True).customer == provider.customer
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert EnterpriseCourseEnrollment.objects.filter(learner__user=user, course_id=course.course_id).exists()


def test_an_existing_user_invited_after_registering_is_converted_at_sign_in(provider, browser):
    existing = UserFactory(email="ada@acme.example.com")
    PendingLearnerFactory(customer=provider.customer, user_email="ada@acme.example.com")

    provider.sign_in()

    assert signed_in_user(browser) == existing
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert EnterpriseCustomerUser.objects.get(user=existing).customer == provider.customer


def test_a_username_taken_by_someone_else_gets_a_suffix(provider, browser):
    UserFactory(username="ada", email="another.ada@example.com")

    provider.sign_in()

    assert signed_in_user(browser).username == "ada2"


def test_idp_initiated_sign_in_when_allowed_uses_the_posted_relay_state(provider, browser):
    provider.config.allow_unsolicited = True
    provider.config.save()

    response = provider.post(provider.answer(None), relay_state="/courses/")

    assert response.status_code == 302
    assert response["Location"] == "/courses/"
    assert signed_in_user(browser) is not None


@pytest.mark.skipif(not XMLSEC1, reason="the xmlsec1 binary is not installed (apt-get install xmlsec1)")
def test_responses_signed_by_pysaml2s_stock_xmlsec1_signer_are_accepted(browser):
    """The in-process signer of the fake IdP is not what makes the tests pass: pysaml2's own does too."""
    stock = make_provider(browser, entity_id="https://idp.stock.example.com/saml", crypto="xmlsec1")
    try:
        request = stock.start()
        saml_response = stock.answer(request)
        assert stock.post(saml_response).status_code == 302
        assert signed_in_user(browser).email == "ada@acme.example.com"
        tampered = base64.b64decode(saml_response).decode().replace("Lovelace", "Byron")
        browser.logout()
        stock.config.allow_unsolicited = True
        stock.config.save()
        assert stock.post(base64.b64encode(tampered.encode()).decode()).status_code == 400
    finally:
        stock.idp.close()


# Redirects


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/courses/42/", "/courses/42/"),
        ("https://learn.example.com/courses/", "https://learn.example.com/courses/"),
        ("https://evil.example.net/phish", "/"),
        ("//evil.example.net/phish", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_only_allowed_redirects_are_followed(provider, next_url, landing):
    assert provider.sign_in(next_url=next_url)["Location"] == landing


def test_allow_listed_hosts_are_followed(settings, sp_settings, provider):
    settings.ENTERPRISE_SSO = {**sp_settings, "ALLOWED_REDIRECT_HOSTS": ["apps.learn.example.com"]}

    assert (
        provider.sign_in(next_url="https://apps.learn.example.com/x")["Location"] == "https://apps.learn.example.com/x"
    )


def test_an_unsolicited_relay_state_to_another_site_is_not_followed(provider):
    provider.config.allow_unsolicited = True
    provider.config.save()

    response = provider.post(provider.answer(None), relay_state="https://evil.example.net/")

    assert response["Location"] == "/"


# Refused answers: nothing is created, nobody is signed in


def assert_nothing_happened(browser):
    assert signed_in_user(browser) is None
    assert not EnterpriseCustomerUser.objects.exists()
    assert not LearnerRemoteIdentity.objects.exists()


def test_a_tampered_assertion_fails_the_signature_check(provider, browser):
    request = provider.start()
    xml = base64.b64decode(provider.answer(request, email="ada@acme.example.com")).decode()
    forged = xml.replace("ada@acme.example.com", "eve@acme.example.com")
    assert forged != xml

    response = provider.post(base64.b64encode(forged.encode()).decode())

    assert_refused(response, 400, "Signature validation failed")
    assert_nothing_happened(browser)
    assert not User.objects.filter(email="eve@acme.example.com").exists()


def test_a_response_signed_with_another_key_is_refused(provider, other_provider, browser):
    request = provider.start()
    # Globex's IdP signs with its own key but claims to be Acme's IdP: issuer right, signature wrong.
    other_provider.idp.entity_id = provider.idp.entity_id
    other_provider.idp.trust_sp(provider.browser.get(f"/sso/saml/{provider.provider_id}/metadata/").content.decode())

    response = provider.post(other_provider.answer(request, acs_url=provider.acs_url))

    assert_refused(response, 400, "Signature validation failed")
    assert_nothing_happened(browser)


def test_an_expired_assertion_is_refused(provider, browser):
    request = provider.start()

    response = provider.post(provider.answer(request, lifetime_minutes=-30))

    assert_refused(response, 400, "not valid")
    assert_nothing_happened(browser)


def test_an_assertion_for_another_audience_is_refused(provider, browser):
    ours = browser.get(f"/sso/saml/{provider.provider_id}/metadata/").content.decode()
    other_sp = ours.replace(SP_ENTITY_ID, "https://other-sp.example.org/saml")
    provider.idp.trust_sp(ours, other_sp)  # the IdP also serves another SP, whose audience it puts in
    request = provider.start()

    response = provider.post(provider.answer(request, audience="https://other-sp.example.org/saml"))

    assert_refused(response, 400, "is not a valid audience")
    assert_nothing_happened(browser)


def test_an_answer_addressed_to_another_acs_is_refused(provider, other_provider, browser):
    request = provider.start()

    response = provider.post(provider.answer(request, acs_url=f"{SP_BASE_URL}/sso/saml/elsewhere/acs/"))

    assert_refused(response, 400, "was received at")
    assert_nothing_happened(browser)


def test_a_replayed_response_is_refused(provider, browser):
    request = provider.start()
    saml_response = provider.answer(request)
    assert provider.post(saml_response).status_code == 302
    browser.logout()

    response = provider.post(saml_response)

    assert_refused(response, 400, "answers no pending sign-in request")
    assert signed_in_user(browser) is None


def test_a_replayed_unsolicited_assertion_is_refused_by_its_id(provider, browser):
    provider.config.allow_unsolicited = True
    provider.config.save()
    saml_response = provider.answer(None)
    assert provider.post(saml_response).status_code == 302
    browser.logout()

    response = provider.post(saml_response)

    assert_refused(response, 400, "already used")
    assert signed_in_user(browser) is None
    assert ConsumedAssertion.objects.count() == 1


def test_an_unsolicited_answer_is_refused_by_default(provider, browser):
    response = provider.post(provider.answer(None))

    assert_refused(response, 400, "unsolicited response refused")
    assert_nothing_happened(browser)


def test_an_answer_to_an_expired_request_is_refused(provider, browser):
    request = provider.start()
    OutstandingAuthnRequest.objects.update(expires_at="2000-01-01T00:00:00Z")

    response = provider.post(provider.answer(request))

    assert_refused(response, 400, "answers no pending sign-in request")


def test_an_answer_to_another_idps_request_is_refused(provider, other_provider, browser):
    acme_request = provider.start()

    response = other_provider.post(other_provider.answer(acme_request))

    assert_refused(response, 400, "answers no pending sign-in request")


def test_an_unsigned_response_is_refused_when_signatures_are_required(provider, browser):
    request = provider.start()

    response = provider.post(provider.answer(request, sign_response=False))

    assert_refused(response, 400, "Message of the Response is not signed")


def test_an_unsigned_assertion_is_refused_when_required(provider, browser):
    request = provider.start()

    response = provider.post(provider.answer(request, sign_assertion=False))

    assert_refused(response, 400, "Assertion of the Response is not signed")


def test_a_response_signature_alone_is_enough_when_so_configured(provider, browser):
    provider.config.require_signed_assertion = False
    provider.config.save()
    request = provider.start()

    assert provider.post(provider.answer(request, sign_assertion=False)).status_code == 302


def test_an_answer_without_email_is_refused(provider, browser):
    request = provider.start()

    response = provider.post(provider.answer(request, attributes={SAP_USER_ID: "SF-1"}))

    assert_refused(response, 400, "no e-mail address")
    assert_nothing_happened(browser)


# The one-customer rule


def test_a_learner_of_another_customer_gets_an_error_page_and_is_not_signed_in(provider, other_provider, browser):
    user = UserFactory(email="ada@acme.example.com")
    LearnerFactory(user=user, customer=other_provider.customer)

    response = provider.sign_in()

    assert_refused(response, 403, "Your account belongs to another organisation")
    assert other_provider.customer.name in response.content.decode()
    assert signed_in_user(browser) is None
    assert list(EnterpriseCustomerUser.objects.values_list("customer", flat=True)) == [other_provider.customer.pk]
    assert not LearnerRemoteIdentity.objects.exists()


def test_a_new_user_pending_at_another_customer_is_refused_and_nothing_is_kept(provider, other_provider, browser):
    PendingLearnerFactory(customer=other_provider.customer, user_email="ada@acme.example.com")

    response = provider.sign_in()

    assert_refused(response, 403, "another organisation")
    assert not User.objects.exists()  # the creation was rolled back with the link
    assert PendingEnterpriseCustomerUser.objects.filter(customer=other_provider.customer).exists()
    assert not ConsumedAssertion.objects.exists()


def test_a_learner_linked_through_one_idp_signs_in_again_through_it(provider, browser):
    provider.sign_in()
    browser.logout()

    assert provider.sign_in().status_code == 302
    assert EnterpriseCustomerUser.objects.count() == 1


def test_staff_accounts_cannot_sign_in_through_a_customer_idp(provider, browser):
    StaffFactory(email="ada@acme.example.com")

    response = provider.sign_in()

    assert_refused(response, 403, "Staff accounts cannot sign in")
    assert signed_in_user(browser) is None


def test_inactive_accounts_cannot_sign_in(provider, browser):
    UserFactory(email="ada@acme.example.com", is_active=False)

    assert_refused(provider.sign_in(), 403, "deactivated")


def test_accounts_are_not_created_when_creation_is_off(settings, sp_settings, provider, browser):
    settings.ENTERPRISE_SSO = {**sp_settings, "CREATE_USERS": False}

    assert_refused(provider.sign_in(), 403, "accounts are not created")
    assert not User.objects.exists()


# Hostile XML


def test_a_response_declaring_an_external_entity_is_refused_unresolved(provider, browser, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    request = provider.start()
    xml = base64.b64decode(provider.answer(request)).decode()
    body = xml.split("?>", 1)[-1] if xml.startswith("<?xml") else xml
    hostile = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>' + body.replace(
        "ada@acme.example.com", "&xxe;"
    )

    response = provider.post(base64.b64encode(hostile.encode()).decode())

    assert_refused(response, 400, "DTD or entities")
    assert "TOP-SECRET-CONTENT" not in response.content.decode()
    assert_nothing_happened(browser)


def test_an_entity_expansion_bomb_is_refused_at_once(provider, browser):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(10))
        + ']><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol9;</samlp:Response>'
    )

    response = provider.post(base64.b64encode(bomb.encode()).decode())

    assert_refused(response, 400, "DTD or entities")


def test_garbage_is_refused(provider):
    assert provider.post("not base64 xml!").status_code == 400
    assert provider.browser.post(f"/sso/saml/{provider.provider_id}/acs/", {}, secure=True).status_code == 400


def test_the_email_attribute_name_is_configurable(provider, browser):
    provider.config.email_attribute = "urn:example:corp:email"
    provider.config.save()
    request = provider.start()
    attributes = {"urn:example:corp:email": "grace@acme.example.com", MAIL: "ada@acme.example.com", SAP_USER_ID: "SF-9"}

    provider.post(provider.answer(request, attributes=attributes))

    assert signed_in_user(browser).email == "grace@acme.example.com"


def test_an_unsigned_response_must_still_name_its_destination(provider, browser):
    """With only the assertion signed, the Response's Destination is not covered by a signature:
    python3-saml skips the check when it is absent, this app refuses."""
    provider.config.require_signed_response = False
    provider.config.save()
    request = provider.start()
    xml = base64.b64decode(provider.answer(request, sign_response=False)).decode()
    stripped = re.sub(r' Destination="[^"]*"', "", xml, count=1)
    assert stripped != xml

    response = provider.post(base64.b64encode(stripped.encode()).decode())

    assert_refused(response, 400, "names no Destination")


def test_an_assertion_without_audience_restriction_is_refused(provider, browser):
    request = provider.start()
    xml = base64.b64decode(provider.answer(request)).decode()
    stripped = re.sub(r"<(\w+:)?AudienceRestriction>.*?</(\w+:)?AudienceRestriction>", "", xml, flags=re.S)
    assert stripped != xml

    response = provider.post(base64.b64encode(stripped.encode()).decode())

    assert_refused(response, 400, "no AudienceRestriction")
