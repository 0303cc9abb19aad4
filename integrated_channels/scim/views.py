"""The SCIM 2.0 endpoints under /scim/v2/ (RFC 7644): thin views over ``services``.

Every request presents a customer's bearer token (``services.tokens.authenticate``); the token
decides the customer, so one customer's identity provider never reads or writes another's users.
Errors of every kind answer in SCIM's error schema (``representation.error_response``).
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from integrated_channels.scim import representation
from integrated_channels.scim.exceptions import InvalidSyntax, InvalidValue, NotFound, NotImplementedHere, ScimError
from integrated_channels.scim.services import tokens, users

logger = logging.getLogger(__name__)


def scim_endpoint(*methods: str):
    """Authenticate, allow ``methods`` only, and answer any ``ScimError`` in SCIM's error schema."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                request.scim_token = tokens.authenticate(request.headers.get("Authorization", ""))
                if request.method not in methods:
                    raise ScimError(f"{request.method} is not allowed here; allowed: {', '.join(methods)}.", status=405)
                return view(request, *args, **kwargs)
            except ScimError as error:
                return representation.error_response(error)
            except Exception:
                # Identity providers read SCIM errors only; the traceback goes to the log (and its handlers).
                logger.exception("SCIM %s %s failed", request.method, request.path)
                return representation.error_response(ScimError("Internal error; see the server's log.", status=500))

        return wrapper

    return decorate


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:users")).removesuffix("/Users")


def _users_url(request: HttpRequest) -> str:
    return f"{_base_url(request)}/Users"


def _body(request: HttpRequest):
    try:
        return json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise ScimError("The body is larger than the host accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).", status=413) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidSyntax(f"The body is not JSON: {exc}") from exc


def _integer(value, name: str, default: int | None) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidValue(f"{name} must be an integer, not {value!r}.") from None


def _search(request: HttpRequest, parameters: dict):
    customer = request.scim_token.customer
    response_parameters = representation.response_parameters(
        parameters.get("attributes"), parameters.get("excludedAttributes")
    )
    page = users.list_users(
        customer=customer,
        filter=parameters.get("filter") or None,
        start_index=_integer(parameters.get("startIndex"), "startIndex", 1),
        count=_integer(parameters.get("count"), "count", None),
    )
    return representation.list_response(page, _users_url(request), response_parameters)


@scim_endpoint("GET", "POST")
def users_view(request: HttpRequest):
    if request.method == "GET":
        return _search(request, request.GET)
    users_url = _users_url(request)
    user = users.create_user(customer=request.scim_token.customer, payload=_body(request), users_url=users_url)
    return representation.user_response(user, users_url, status=201)


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user_view(request: HttpRequest, user_id: str):
    customer, users_url = request.scim_token.customer, _users_url(request)
    if request.method == "DELETE":
        users.delete_user(customer=customer, user_id=user_id)
        return representation.response(None, status=204)
    if request.method == "GET":
        parameters = representation.response_parameters(
            request.GET.get("attributes"), request.GET.get("excludedAttributes")
        )
        user = users.get_user(customer=customer, user_id=user_id)
        return representation.user_response(user, users_url, parameters=parameters)
    change = users.replace_user if request.method == "PUT" else users.patch_user
    user = change(customer=customer, user_id=user_id, payload=_body(request), users_url=users_url)
    return representation.user_response(user, users_url)


@scim_endpoint("GET")
def service_provider_config_view(request: HttpRequest):
    return representation.response(representation.service_provider_config(_base_url(request)))


@scim_endpoint("GET")
def schemas_view(request: HttpRequest, schema_id: str | None = None):
    documents = representation.schemas(_base_url(request))
    return _one_or_all(documents, schema_id, "schema")


@scim_endpoint("GET")
def resource_types_view(request: HttpRequest, name: str | None = None):
    documents = representation.resource_types(_base_url(request))
    return _one_or_all(documents, name, "resource type")


def _one_or_all(documents: list[dict], key: str | None, what: str):
    if key is None:
        return representation.response(representation.listed(documents))
    for document in documents:
        if document["id"] == key:
            return representation.response(document)
    raise NotFound(f"No {what} {key!r}.")


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unsupported_view(request: HttpRequest, resource: str = ""):
    """Groups (and any other resource type): not served, as /ResourceTypes says (decision 0250)."""
    raise NotFound(f"/{resource or request.path} is not served here: this service provider has Users only.")


@scim_endpoint("POST")
def search_view(request: HttpRequest):
    """POST /Users/.search, and POST /.search (RFC 7644 §3.4.3): Users are the only resource type."""
    body = _body(request)
    if not isinstance(body, dict):
        raise InvalidSyntax("The body must be a SCIM SearchRequest object.")
    return _search(request, body)


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_implemented_view(request: HttpRequest, resource: str = ""):
    raise NotImplementedHere(f"{request.path} is not implemented (no /Me, no /Bulk).")
