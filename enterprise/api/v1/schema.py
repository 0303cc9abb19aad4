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


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error body on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Errors"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Errors"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                body = {"description": description, "content": {"application/json": {"schema": ref}}}
                responses.setdefault(code, body)
    return result
