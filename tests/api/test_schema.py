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
    assert prefixes == {"/enterprise", "/consent", "/integrated_channels", "/training-data", "/classroom"}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            # the public catalog (Training Data Access) needs no authentication
            assert ("401" in operation["responses"]) is not path.startswith("/training-data/"), path
    assert {"tokenAuth", "cookieAuth", "jwtAuth"} <= set(schema["components"]["securitySchemes"])
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_docs_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/schema/" in response.content


def test_docs_page_references_no_external_host(client, db):
    """Swagger UI and everything else the page loads come from this host (drf-spectacular-sidecar)."""
    html = client.get("/api/docs/").content.decode()
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html, flags=re.I)
    assert references, html
    for reference in references:
        assert not urlsplit(reference).netloc and not reference.startswith("//"), reference
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, flags=re.I), html
    static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        reference = next(ref for ref in references if ref.endswith(asset))
        assert reference.startswith(static), reference
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), f"{asset} is not served"


def test_docs_page_uses_no_online_validator(client, db):
    """Swagger UI would send the schema to validator.swagger.io and show its badge: turned off."""
    response = client.get("/api/docs/")
    script_urls = re.findall(r"""<script src=["']([^"']+\?script[^"']*)["']""", response.content.decode())
    script = client.get(script_urls[0]).content.decode() if script_urls else response.content.decode()
    assert '"validatorUrl": null' in script


def test_schema_text_has_no_internal_references(client, db):
    text = client.get("/api/schema/").content.decode()
    assert "DESIGN" not in text and "§" not in text
    assert "DESIGN" not in CHECKED_IN.read_text()


def test_favicon_answers(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
