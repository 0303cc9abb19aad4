"""The SCIM User operations: create, read, list, replace, patch, delete (RFC 7644 §3.3 to 3.6).

Payloads are read and validated by scim2-models (``resources.UserResource`` under
``resources.POLICY``); what this module adds is the customer's side. A user's e-mail (its primary
e-mail, else its work e-mail, else its first, else a userName that is an address) names the
learner: an active user is linked through ``enterprise.services.bulk_link.link_stream`` — an
existing user with that address becomes a linked learner, an unknown address a pending learner,
exactly as the CSV upload and the connector imports do — and its mapped attributes are merged
into the learner's through the import pipeline's ``write_attributes``. An inactive user, a
deleted one, or one whose e-mail changed leaves the learner of its old address unlinked
(``enterprise.services.bulk_unlink.unlink_learners``). Everything one request does happens in
one transaction: a refused link (the person belongs to another customer) writes nothing.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from pydantic import ValidationError
from scim2_models import Context, Error, PatchOp, SCIMException

from enterprise.emails import normalize_email
from enterprise.learner_fields import fields_of
from enterprise.models import EnterpriseCustomer
from enterprise.services.bulk_link import MEMBER_STATUSES, RowResult, conceal_other_customers, email_error, link_stream
from enterprise.services.bulk_unlink import unlink_learners
from integrated_channels.integrated_channel.imports.attributes import write_attributes
from integrated_channels.scim import filters
from integrated_channels.scim.exceptions import Conflict, InvalidSyntax, InvalidValue, NotFound, ScimError
from integrated_channels.scim.models import ScimUser
from integrated_channels.scim.resources import (
    ENTERPRISE_SCHEMA,
    POLICY,
    UserResource,
    normalize_manager,
    normalize_patch,
)

MAX_COUNT = 200  # the most resources one list answer holds (ServiceProviderConfig filter.maxResults)

#: Learner fields a customer may define (enterprise.LearnerField) that SCIM attributes fill.
CUSTOM_FIELD_SOURCES = {
    "cost_center": (ENTERPRISE_SCHEMA, "costCenter"),
    "organization": (ENTERPRISE_SCHEMA, "organization"),
    "division": (ENTERPRISE_SCHEMA, "division"),
    "user_type": (None, "userType"),
    "preferred_language": (None, "preferredLanguage"),
    "locale": (None, "locale"),
    "timezone": (None, "timezone"),
    "nick_name": (None, "nickName"),
}


@dataclass(frozen=True)
class Page:
    total: int
    start_index: int
    users: list[ScimUser]


def scim_error(exc: Exception) -> ScimError:
    """The app's error for what scim2-models or pydantic refused."""
    if isinstance(exc, SCIMException):
        error = exc.to_error()
    elif isinstance(exc, ValidationError):
        error = Error.from_validation_errors(exc)[0]
    else:
        return InvalidSyntax(str(exc))
    return ScimError(error.detail or "Invalid request.", status=int(error.status or 400), scim_type=error.scim_type)


def _validate(payload, context: Context, users_url: str) -> UserResource:
    if not isinstance(payload, dict):
        raise InvalidSyntax("The body must be a JSON object (a SCIM User).")
    try:
        return UserResource.model_validate(normalize_manager(payload, users_url), scim_ctx=context, scim_policy=POLICY)
    except (SCIMException, ValidationError) as exc:
        raise scim_error(exc) from exc


def _stored(resource: UserResource) -> dict:
    data = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, scim_policy=POLICY)
    data.pop("id", None)
    data.pop("meta", None)
    return data


def _email_of(data: dict) -> tuple[str, str]:
    """The (e-mail, its type) naming the learner: primary, else work, else first, else the userName."""
    emails = [item for item in data.get("emails") or [] if isinstance(item, dict) and item.get("value")]
    chosen = (
        next((item for item in emails if item.get("primary")), None)
        or next((item for item in emails if item.get("type") == "work"), None)
        or (emails[0] if emails else None)
    )
    if chosen is not None:
        value, kind = chosen["value"], chosen.get("type") or ""
    else:
        value, kind = data.get("userName") or "", ""
    email = normalize_email(value)
    if chosen is None and email_error(email):
        return "", ""  # no e-mail yet: stored, no learner until one arrives
    problem = email_error(email)
    if problem:
        raise InvalidValue(f"The user's e-mail {value!r} {problem}")
    return email, kind


def _columns(data: dict) -> dict:
    email, email_type = _email_of(data)
    name = data.get("name") or {}
    return {
        "user_name": data.get("userName") or "",
        "external_id": data.get("externalId") or "",
        "email": email,
        "email_type": email_type[:32],
        "display_name": (data.get("displayName") or "")[:255],
        "given_name": (name.get("givenName") or "")[:255],
        "family_name": (name.get("familyName") or "")[:255],
        "active": data.get("active") is not False,
    }


def _manager_email(customer: EnterpriseCustomer, manager: dict | None) -> str:
    """The manager's e-mail: the SCIM user the manager's ``value`` names, or the value itself if an address."""
    value = str((manager or {}).get("value") or "").strip()
    if not value:
        return ""
    if "@" in value:
        return normalize_email(value)
    try:
        key = uuid.UUID(value)
    except ValueError:
        return ""
    return ScimUser.objects.filter(customer=customer, pk=key).values_list("email", flat=True).first() or ""


def _custom_sources(data: dict | None) -> set[str]:
    """The custom learner fields ``data`` has a value for."""
    if not data:
        return set()
    extension = data.get(ENTERPRISE_SCHEMA) or {}
    return {
        key
        for key, (schema, attribute) in CUSTOM_FIELD_SOURCES.items()
        if (extension if schema else data).get(attribute) is not None
    }


def learner_attributes(customer: EnterpriseCustomer, data: dict, previous: dict | None = None) -> dict[str, str]:
    """The learner fields a SCIM user fills (docs/scim.md lists them); absent values are "" (cleared).

    The customer's own fields are read (one query) only when ``data`` or the ``previous`` resource
    has a value for one of them: a user without any fills and clears none.
    """
    name = data.get("name") or {}
    extension = data.get(ENTERPRISE_SCHEMA) or {}
    addresses = [item for item in data.get("addresses") or [] if isinstance(item, dict)]
    address = next((item for item in addresses if item.get("primary")), addresses[0] if addresses else {})
    values = {
        "first_name": name.get("givenName"),
        "last_name": name.get("familyName"),
        "job_title": data.get("title"),
        "employee_id": extension.get("employeeNumber"),
        "department": extension.get("department"),
        "manager": _manager_email(customer, extension.get("manager")),
        "location": address.get("locality"),
        "country": address.get("country"),
    }
    sources = _custom_sources(data) | _custom_sources(previous)
    custom = {field.key for field in fields_of(customer) if not field.built_in} if sources else set()
    for key, (schema, attribute) in CUSTOM_FIELD_SOURCES.items():
        if key in custom and key in sources:
            values[key] = (extension if schema else data).get(attribute)
    return {key: "" if value is None else str(value) for key, value in values.items()}


def _provision(customer: EnterpriseCustomer, email: str, attributes: dict[str, str]) -> None:
    """Link (or keep linked, or make pending) the learner of ``email`` and merge its attributes."""
    row = RowResult(line=0, value="SCIM", email=email)

    def on_chunk(chunk, links) -> None:
        write_attributes(
            customer,
            {ref.learner_id: attributes for ref in links.linked},
            {ref.row.email: attributes for ref in links.pending},
        )

    link_stream(customer=customer, chunks=[[row]], on_chunk=on_chunk)
    if row.status not in MEMBER_STATUSES:
        conceal_other_customers([row])
        raise Conflict(f"{email} cannot be a learner of this customer: {row.message or row.status}")


@contextmanager
def _one_transaction():
    """The request's transaction; a unique violation (userName, e-mail) rolls it all back as a conflict.

    No savepoint around the user's own write: the whole transaction is what fails, which spares
    two statements a request.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict("Another user of this customer has this userName or e-mail.") from exc


def _write(customer: EnterpriseCustomer, user: ScimUser, data: dict, *, create: bool) -> ScimUser:
    old_email, old_active = (None, False) if create else (user.email, user.active)
    previous = None if create else user.resource
    for attribute, value in _columns(data).items():
        setattr(user, attribute, value)
    user.resource = data
    if not create:
        user.version += 1
        user.modified = timezone.now()
    user.save(force_insert=create)
    if old_active and old_email and (not user.active or old_email != user.email):
        unlink_learners(customer=customer, emails=[old_email])
    if user.active and user.email:
        _provision(customer, user.email, learner_attributes(customer, data, previous))
    if old_email and old_email != user.email:
        _follow_manager_email(customer, user)
    return user


def _follow_manager_email(customer: EnterpriseCustomer, manager: ScimUser) -> None:
    """The learners whose manager is ``manager`` get its new e-mail (one link of their chunk, one merge)."""
    reports = list(
        ScimUser.objects.filter(
            customer=customer, active=True, **{f"resource__{ENTERPRISE_SCHEMA}__manager__value": str(manager.pk)}
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not reports:
        return
    rows = [RowResult(line=index, value="SCIM", email=email) for index, email in enumerate(reports)]

    def on_chunk(chunk, links) -> None:
        attributes = {"manager": manager.email}
        write_attributes(
            customer,
            {ref.learner_id: attributes for ref in links.linked},
            {ref.row.email: attributes for ref in links.pending},
        )

    link_stream(customer=customer, chunks=[rows], on_chunk=on_chunk)


def create_user(*, customer: EnterpriseCustomer, payload, users_url: str) -> ScimUser:
    resource = _validate(payload, Context.RESOURCE_CREATION_REQUEST, users_url)
    with _one_transaction():
        return _write(customer, ScimUser(customer=customer), _stored(resource), create=True)


def get_user(*, customer: EnterpriseCustomer, user_id: str, for_update: bool = False) -> ScimUser:
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound(f"No user {user_id!r}.") from None
    users = ScimUser.objects.select_for_update() if for_update else ScimUser.objects
    user = users.filter(customer=customer, pk=key).first()
    if user is None:
        raise NotFound(f"No user {user_id!r}.")
    return user


def replace_user(*, customer: EnterpriseCustomer, user_id: str, payload, users_url: str) -> ScimUser:
    resource = _validate(payload, Context.RESOURCE_REPLACEMENT_REQUEST, users_url)
    with _one_transaction():
        user = get_user(customer=customer, user_id=user_id, for_update=True)
        return _write(customer, user, _stored(resource), create=False)


def patch_user(*, customer: EnterpriseCustomer, user_id: str, payload, users_url: str) -> ScimUser:
    if not isinstance(payload, dict):
        raise InvalidSyntax("The body must be a JSON object (a SCIM PatchOp).")
    with _one_transaction():
        return _patch(customer, get_user(customer=customer, user_id=user_id, for_update=True), payload, users_url)


def _patch(customer: EnterpriseCustomer, user: ScimUser, payload: dict, users_url: str) -> ScimUser:
    try:
        resource = UserResource.model_validate({**user.resource, "id": str(user.pk)}, scim_policy=POLICY)
        operations = PatchOp[UserResource].model_validate(
            normalize_patch(payload, users_url), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        changed = operations.patch(resource, scim_policy=POLICY)
    except (SCIMException, ValidationError) as exc:
        raise scim_error(exc) from exc
    if not changed:
        return user
    return _write(customer, user, _stored(resource), create=False)


def delete_user(*, customer: EnterpriseCustomer, user_id: str) -> None:
    """Delete the SCIM user and unlink its learner (softly: the learner's history is kept)."""
    with transaction.atomic():
        user = get_user(customer=customer, user_id=user_id, for_update=True)
        if user.active and user.email:
            unlink_learners(customer=customer, emails=[user.email])
        user.delete()


def list_users(
    *, customer: EnterpriseCustomer, filter: str | None, start_index: int = 1, count: int | None = None
) -> Page:
    """One page of the customer's users matching ``filter``, oldest first (two queries, one on a short first page)."""
    start_index = max(start_index, 1)
    count = MAX_COUNT if count is None else min(max(count, 0), MAX_COUNT)
    users = ScimUser.objects.filter(customer=customer).alias(user_name_ci=Lower("user_name"))
    if filter:
        users = users.filter(filters.to_q(filter))
    page = list(users.order_by("created", "pk")[start_index - 1 : start_index - 1 + count]) if count else []
    total = len(page) if start_index == 1 and len(page) < count else users.count()
    return Page(total, start_index, page)
