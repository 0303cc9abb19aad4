"""Single sign-on flows: start a sign-in, then turn a valid assertion into a linked, signed-in learner.

Plain functions with keyword arguments returning dataclasses; the views only parse the request,
call one of these and render.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.emails import normalize_email
from enterprise.exceptions import AmbiguousEmail, InvalidEmail
from enterprise.models import EnterpriseCustomerUser, LearnerRemoteIdentity
from enterprise.services.linking import LinkStatus, link_user
from enterprise.services.pending import convert_pending_learner
from enterprise.sso import saml
from enterprise.sso.app_settings import sso_settings
from enterprise.sso.exceptions import (
    AccountNotAllowed,
    IdentityProviderNotFound,
    InvalidSAMLResponse,
    MissingAttribute,
    ReplayedAssertion,
)
from enterprise.sso.models import ConsumedAssertion, OutstandingAuthnRequest, SAMLIdentityProviderConfig

logger = logging.getLogger(__name__)

ALLOWED_CLOCK_DRIFT = datetime.timedelta(minutes=5)  # python3-saml's, kept in the replay window too
DEFAULT_ASSERTION_LIFETIME = datetime.timedelta(hours=8)


def get_config(*, provider_id: str) -> SAMLIdentityProviderConfig:
    config = (
        SAMLIdentityProviderConfig.objects.select_related("identity_provider__customer")
        .filter(identity_provider__provider_id=provider_id, enabled=True)
        .first()
    )
    if config is None:
        raise IdentityProviderNotFound(f"No enabled SAML identity provider {provider_id!r}.", provider_id=provider_id)
    return config


@dataclass(frozen=True)
class LoginStart:
    redirect_url: str
    request_id: str


def start_login(*, config: SAMLIdentityProviderConfig, request, relay_state: str = "") -> LoginStart:
    """Create an AuthnRequest for ``config``'s IdP and remember it until it is answered or expires."""
    sp = saml.ServiceProvider.for_request(request)
    url, request_id = saml.login_redirect(config, request, sp, relay_state=relay_state)
    now = timezone.now()
    OutstandingAuthnRequest.objects.filter(expires_at__lt=now).delete()
    OutstandingAuthnRequest.objects.create(
        request_id=request_id,
        identity_provider=config.identity_provider,
        relay_state=relay_state[:2000],
        created=now,
        expires_at=now + datetime.timedelta(seconds=sso_settings.AUTHN_REQUEST_LIFETIME),
    )
    return LoginStart(redirect_url=url, request_id=request_id)


class UserSource(enum.StrEnum):
    REMOTE_ID = "remote_id"  # known by their id at this identity provider
    EMAIL = "email"  # an existing user with the asserted e-mail
    CREATED = "created"


@dataclass(frozen=True)
class LoginResult:
    user: object
    learner: EnterpriseCustomerUser
    remote_id: str
    user_source: UserSource
    link_status: LinkStatus
    relay_state: str = ""


def finish_login(*, config: SAMLIdentityProviderConfig, request) -> LoginResult:
    """Validate the posted SAML response and sign its learner in to ``config``'s customer.

    In one transaction: the answered AuthnRequest is consumed, the assertion id recorded (a
    replay fails on the unique constraint), the user found (by remote id, then e-mail) or
    created, a pending learner with their e-mail converted, the user linked to the IdP's customer
    and their remote id stored. Any failure leaves nothing behind. Raises ``SSOError`` subclasses
    and ``enterprise.exceptions.LinkConflict`` (the user belongs to another customer).
    """
    sp = saml.ServiceProvider.for_request(request)
    raw = saml.decode_response(request)
    answered = saml.in_response_to(raw)
    now = timezone.now()
    outstanding = None
    if answered:
        outstanding = OutstandingAuthnRequest.objects.filter(
            request_id=answered, identity_provider=config.identity_provider, expires_at__gte=now
        ).first()
        if outstanding is None:
            raise InvalidSAMLResponse("The response answers no pending sign-in request of this identity provider.")
    elif not config.allow_unsolicited:
        raise InvalidSAMLResponse("This identity provider may not start sign-ins (unsolicited response refused).")
    assertion = saml.validate_response(config, request, sp, raw=raw, request_id=answered)
    with transaction.atomic():
        if outstanding is not None and not OutstandingAuthnRequest.objects.filter(pk=outstanding.pk).delete()[0]:
            raise ReplayedAssertion("The sign-in request was already answered.")
        _record_assertion(config, assertion, now=now)
        result = _sign_in(config, assertion)
    relay_state = outstanding.relay_state if outstanding else request.POST.get("RelayState", "")
    logger.info(
        "SSO sign-in of user %s through %s (%s, %s)",
        result.user.pk,
        config.provider_id,
        result.user_source,
        result.link_status,
    )
    return dataclasses.replace(result, relay_state=relay_state)


def _record_assertion(config, assertion: saml.ValidatedAssertion, *, now) -> None:
    expires = (assertion.not_on_or_after or now + DEFAULT_ASSERTION_LIFETIME) + ALLOWED_CLOCK_DRIFT
    ConsumedAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            ConsumedAssertion.objects.create(
                identity_provider=config.identity_provider,
                assertion_id=assertion.assertion_id,
                consumed_at=now,
                expires_at=expires,
            )
    except IntegrityError as exc:
        raise ReplayedAssertion(assertion_id=assertion.assertion_id) from exc


def _first(assertion: saml.ValidatedAssertion, name: str) -> str:
    values = assertion.attributes.get(name) if name else None
    return (values[0] if values else "").strip()


def _sign_in(config: SAMLIdentityProviderConfig, assertion: saml.ValidatedAssertion) -> LoginResult:
    remote_id = _first(assertion, config.remote_id_attribute) if config.remote_id_attribute else assertion.name_id
    if not remote_id:
        raise MissingAttribute(f"The assertion carries no remote user id ({config.remote_id_attribute or 'NameID'}).")
    email = normalize_email(_first(assertion, config.email_attribute))
    if not email or "@" not in email:
        raise MissingAttribute(f"The assertion carries no e-mail address ({config.email_attribute}).")
    first_name = _first(assertion, config.first_name_attribute)[:150]
    last_name = _first(assertion, config.last_name_attribute)[:150]
    idp = config.identity_provider

    user, source = _find_user(idp, remote_id, email)
    if user is None:
        if not sso_settings.CREATE_USERS:
            raise AccountNotAllowed("No account matches, and accounts are not created at sign-in.")
        user = _create_user(email=email, remote_id=remote_id, first_name=first_name, last_name=last_name)
        source = UserSource.CREATED  # creation converts a pending learner (post_save receiver)
    else:
        _check_allowed(user)
        _update_profile(user, email=email, first_name=first_name, last_name=last_name, source=source)
    # Idempotent; covers users who existed before their invitation. Whether the user may join this
    # customer is link_user's decision (one customer per learner), so a conversion conflict is not fatal.
    convert_pending_learner(user=user)
    link = link_user(customer=idp.customer, user=user)
    try:
        with transaction.atomic():
            LearnerRemoteIdentity.objects.update_or_create(
                identity_provider=idp, user=user, defaults={"remote_id": remote_id}
            )
    except IntegrityError as exc:  # the remote id names another user of this IdP (a concurrent sign-in)
        raise InvalidSAMLResponse("This remote user id already belongs to another account.") from exc
    return LoginResult(
        user=user, learner=link.learner, remote_id=remote_id, user_source=source, link_status=link.status
    )


def _find_user(idp, remote_id: str, email: str):
    identity = LearnerRemoteIdentity.objects.filter(identity_provider=idp, remote_id=remote_id).select_related("user")
    identity = identity.first()
    if identity is not None:
        return identity.user, UserSource.REMOTE_ID
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise AmbiguousEmail(f"Several accounts use {email}; an administrator must merge them.", email=email)
    return (users[0], UserSource.EMAIL) if users else (None, None)


def _check_allowed(user) -> None:
    if not user.is_active:
        raise AccountNotAllowed("This account is deactivated.", user_id=user.pk)
    if user.is_staff or user.is_superuser:
        # A customer's IdP vouches for its learners, not for the platform's operators.
        raise AccountNotAllowed(
            "Staff accounts cannot sign in through a customer's identity provider.", user_id=user.pk
        )


def _update_profile(user, *, email, first_name, last_name, source) -> None:
    changed = []
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if value and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    # The IdP owns the e-mail of users it already knows by remote id (a learner renamed at the customer).
    if (
        source == UserSource.REMOTE_ID
        and normalize_email(user.email) != email
        and not get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
    ):
        user.email = email
        changed.append("email")  # saving "email" converts a pending learner with the new address
    if changed:
        user.save(update_fields=changed)


_USERNAME_CHARS = re.compile(r"[^\w.@+-]")


def _create_user(*, email: str, remote_id: str, first_name: str, last_name: str):
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    base = email if field == "email" else (_USERNAME_CHARS.sub("", email.split("@")[0])[:140] or "learner")
    candidate, n = base, 1
    while user_model.objects.filter(**{f"{field}__iexact": candidate}).exists():
        n += 1
        candidate = f"{base}{n}"
    if field == "email" and candidate != base:
        raise InvalidEmail(f"An account with {email} exists.", email=email)
    user = user_model(**{field: candidate}, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    return user
