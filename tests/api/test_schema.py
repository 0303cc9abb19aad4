"""The OpenAPI schema: served, valid, and the checked-in copy (docs/api/openapi.yaml) is current."""

from pathlib import Path

import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"
REGENERATE = "manage.py spectacular --file docs/api/openapi.yaml"


def _generated() -> bytes:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def test_checked_in_schema_is_current(db):
    assert CHECKED_IN.read_bytes().decode() == _generated().decode(), f"The API changed: run `{REGENERATE}`."


def test_schema_is_served_and_documents_every_api(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    prefixes = {path.split("/api/v1/")[0] for path in schema["paths"]}
    assert prefixes == {"/enterprise", "/consent", "/integrated_channels"}
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert "401" in operation["responses"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_docs_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/schema/" in response.content
