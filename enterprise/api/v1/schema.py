"""OpenAPI details the views cannot say themselves: the one error body, on every operation."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "row", "code", "message"],
                "properties": {
                    "field": {"type": "string", "nullable": True, "description": "The input the error is about."},
                    "row": {"type": "integer", "nullable": True, "description": "1-based row of a bulk input."},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
ERROR_STATUSES = {
    "400": "Invalid input.",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found (or another customer's).",
    "409": "Conflict.",
    "429": "Throttled.",
    "503": "The host LMS is unavailable.",
}

UPLOAD_TOO_LARGE = "The upload is larger than ENTERPRISE['UPLOAD_MAX_BYTES']; it was not read."


def _takes_a_file(operation, schemas) -> bool:
    """True when the operation's multipart body has a binary field (a file upload)."""
    multipart = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data", {})
    schema = multipart.get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return any(field.get("format") == "binary" for field in schema.get("properties", {}).values())


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error body on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Errors"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Errors"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                if code == "401" and operation.get("security") == [{}]:
                    continue  # a public operation (no authentication): nothing to authenticate
                body = {"description": description, "content": {"application/json": {"schema": ref}}}
                responses.setdefault(code, body)
            if _takes_a_file(operation, result["components"]["schemas"]):
                body = {"description": UPLOAD_TOO_LARGE, "content": {"application/json": {"schema": ref}}}
                responses.setdefault("413", body)
    return result
