"""A connection's mapping: the customer's learner fields ← the source's columns (DESIGN §8).

Stored as JSON ``{field key: column}``; a column ``None`` is "do not import from source". What
that means depends on the field (``enterprise.learner_fields``): a built-in or manual field keeps
its stored values, an imported custom field is cleared. Before a connection can run, every field
must be decided (the seed: "mapping all the columns is mandatory"): ``email`` mapped to a column,
every custom field mapped or explicitly "do not import"; a built-in field left out is not
imported (decision 0062). Columns of paged JSON sources are dotted paths (``manager.email``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError

from enterprise.emails import normalize_email
from enterprise.learner_fields import Field
from enterprise.services.bulk_link import email_error


def validate_shape(mapping) -> None:
    """Shape only (no customer needed): ``{key: column or None}``, no column used twice."""
    if not isinstance(mapping, Mapping):
        raise ValidationError("The attribute mapping must be an object {attribute: column}.")
    errors = []
    used: dict[str, str] = {}
    for key, column in mapping.items():
        if column is None:
            continue
        if not isinstance(column, str) or not column.strip():
            errors.append(f"Attribute {key!r}: the column must be a non-empty name, or null for 'do not import'.")
            continue
        column = column.strip()
        if column in used:
            errors.append(f"Column {column!r} is mapped to both {used[column]!r} and {key!r}.")
        used[column] = key
    if errors:
        raise ValidationError(errors)


def validate(mapping, fields: Sequence[Field]) -> None:
    """Shape, and only the customer's fields; mandatory fields never "do not import"."""
    validate_shape(mapping)
    known = {field.key: field for field in fields}
    errors = []
    for key, column in mapping.items():
        if key not in known:
            errors.append(f"Unknown attribute {key!r} (known: {', '.join(known)}).")
        elif column is None and known[key].mandatory:
            errors.append(f"Attribute {key!r} is mandatory: map it to a column.")
    if errors:
        raise ValidationError(errors)


def missing(mapping: Mapping | None, fields: Sequence[Field]) -> list[str]:
    """The fields still to decide before the connection can run (mandatory unmapped, custom absent)."""
    mapping = mapping or {}
    return [
        field.key
        for field in fields
        if (field.mandatory and not mapping.get(field.key)) or (not field.built_in and field.key not in mapping)
    ]


def imported(mapping: Mapping | None) -> dict[str, str]:
    """``{key: column}`` of the fields read from the source (mapped, not "do not import")."""
    return {key: column.strip() for key, column in (mapping or {}).items() if column}


def cleared(mapping: Mapping | None, fields: Sequence[Field]) -> list[str]:
    """The imported custom fields set to "do not import": their values are removed from every learner."""
    mapping = mapping or {}
    return [
        field.key
        for field in fields
        if field.clear_when_not_imported and field.key in mapping and not mapping[field.key]
    ]


def email_columns(mapping: Mapping | None, fields: Sequence[Field]) -> dict[str, str]:
    """``{key: column}`` of the imported fields whose values must be e-mail addresses (email, manager)."""
    emails = {field.key for field in fields if field.email}
    return {key: column for key, column in imported(mapping).items() if key in emails}


def check_columns(mapping: Mapping | None, columns: Iterable[str], *, source: str) -> list[str]:
    """Errors naming the mapped columns that ``source`` lacks."""
    present = {column.strip() for column in columns if column is not None}
    return [
        f"{source}: column {column!r} (mapped to {key!r}) is missing."
        for key, column in imported(mapping).items()
        if column not in present
    ]


def email_value_error(key: str, column: str, value: str) -> str:
    """Why ``value`` of an e-mail field is refused, or ``""`` (empty values are allowed)."""
    value = (value or "").strip()
    if not value or not email_error(normalize_email(value)):
        return ""
    return f"column {column!r}: {value!r} is not an e-mail address (attribute {key!r} must map to a column of e-mails)."


def check_email_columns(
    mapping: Mapping, rows: Iterable[Mapping[str, str]], *, fields: Sequence[Field], source: str, limit: int = 20
) -> list[str]:
    """Errors for non-empty values of e-mail fields that are not e-mails (rows numbered from 2: 1 is the header)."""
    columns = email_columns(mapping, fields)
    errors = []
    for number, row in enumerate(rows, start=2):
        for key, column in columns.items():
            error = email_value_error(key, column, row.get(column) or "")
            if error:
                errors.append(f"{source}, row {number}, {error}")
                if len(errors) >= limit:
                    return errors
    return errors
