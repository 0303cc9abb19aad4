"""The OpenAPI schema: served, valid, and the checked-in copy (docs/api/openapi.yaml) is current."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
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
    assert {"tokenAuth", "cookieAuth", "jwtAuth"} <= set(schema["components"]["securitySchemes"])
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_docs_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/schema/" in response.content


def test_docs_page_references_no_external_host(client, db):
    """ReDoc and everything else the page loads come from this host (drf-spectacular-sidecar)."""
    html = client.get("/api/docs/").content.decode()
    references = re.findall(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", html, flags=re.I)
    assert references, html
    for reference in references:
        assert not urlsplit(reference).netloc and not reference.startswith("//"), reference
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, flags=re.I), html
    script = next(ref for ref in references if ref.endswith("redoc.standalone.js"))
    assert script.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL)
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"), "the asset is not served"
