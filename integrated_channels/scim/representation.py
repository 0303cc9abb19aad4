"""The JSON a SCIM client reads: users with ``meta``, list answers, errors, and the discovery documents."""

from __future__ import annotations

import json
from functools import lru_cache

from django.http import HttpResponse
from pydantic import ValidationError
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    Error,
    ETag,
    Filter,
    Patch,
    ResourceType,
    ResponseParameters,
    SCIMException,
    ServiceProviderConfig,
    Sort,
)

from integrated_channels.scim.exceptions import InvalidValue, ScimError
from integrated_channels.scim.models import ScimUser
from integrated_channels.scim.resources import POLICY, UserResource
from integrated_channels.scim.services.users import MAX_COUNT, Page

CONTENT_TYPE = "application/scim+json"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
DOCUMENTATION = "https://github.com/openedx/enterprise-learners/blob/main/docs/scim.md"


def response(data, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    answer = HttpResponse(json.dumps(data, default=str), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def error_response(error: ScimError) -> HttpResponse:
    body = Error(status=error.status, scim_type=error.scim_type or None, detail=error.detail).model_dump()
    answer = response(body, status=error.status)
    if error.status == 401:
        answer["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return answer


def _stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def user_data(user: ScimUser, users_url: str) -> dict:
    data = {**user.resource, "id": str(user.pk)}
    data["meta"] = {
        "resourceType": "User",
        "created": _stamp(user.created),
        "lastModified": _stamp(user.modified),
        "location": f"{users_url}/{user.pk}",
        "version": f'W/"{user.version}"',
    }
    return data


def response_parameters(attributes: str | list | None, excluded: str | list | None):
    """The ``attributes``/``excludedAttributes`` of a request, or None when it names neither."""
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters[UserResource].model_validate(
            {"attributes": attributes or None, "excludedAttributes": excluded or None}
        )
    except (SCIMException, ValidationError) as exc:
        raise InvalidValue(f"Invalid attributes or excludedAttributes: {exc}") from exc


def render_user(user: ScimUser, users_url: str, parameters=None) -> dict:
    data = user_data(user, users_url)
    if parameters is None:
        return data
    resource = UserResource.model_validate(data, scim_policy=POLICY)
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)


def user_response(user: ScimUser, users_url: str, *, status: int = 200, parameters=None) -> HttpResponse:
    location = f"{users_url}/{user.pk}"
    return response(
        render_user(user, users_url, parameters),
        status=status,
        headers={"Location": location, "ETag": f'W/"{user.version}"'},
    )


def list_response(page: Page, users_url: str, parameters=None) -> HttpResponse:
    return response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": page.total,
            "startIndex": page.start_index,
            "itemsPerPage": len(page.users),
            "Resources": [render_user(user, users_url, parameters) for user in page.users],
        }
    )


def listed(resources: list[dict]) -> dict:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def service_provider_config(base_url: str) -> dict:
    config = ServiceProviderConfig(
        documentation_uri=DOCUMENTATION,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="A token from manage.py create_scim_token, sent as 'Authorization: Bearer <token>'.",
                primary=True,
            )
        ],
    )
    data = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    data["meta"] = {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"}
    return data


@lru_cache(maxsize=1)
def _schemas() -> tuple[dict, ...]:
    return tuple(
        model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        for model in (UserResource, EnterpriseUser)
    )


def schemas(base_url: str) -> list[dict]:
    documents = []
    for schema in _schemas():
        document = dict(schema)
        document["meta"] = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema['id']}"}
        documents.append(document)
    return documents


def resource_types(base_url: str) -> list[dict]:
    user_type = ResourceType.from_resource(UserResource)
    user_type.endpoint = "/Users"
    data = user_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    data["meta"] = {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{data['id']}"}
    return [data]
