"""The attribute mapping of a connection: source column → learner attribute (DESIGN §8, decision 0062).

Stored as JSON on the connection, ``{attribute: column}``. An attribute mapped to ``None`` is
"do not import from source": the importer never writes it, so values kept by hand stay intact.
An attribute absent from the mapping is not imported either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    mandatory: bool = False
    email: bool = False  # the column must hold e-mail addresses


#: The learner attributes a source can fill, in the order the admin shows them.
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("email", "E-mail", mandatory=True, email=True),
    Attribute("first_name", "First name"),
    Attribute("last_name", "Last name"),
    Attribute("employee_id", "Employee id"),
    Attribute("manager", "Manager (e-mail)", email=True),
    Attribute("department", "Department"),
    Attribute("job_title", "Job title"),
    Attribute("location", "Location"),
    Attribute("country", "Country"),
    Attribute("hire_date", "Hire date"),
)
BY_NAME = {attribute.name: attribute for attribute in ATTRIBUTES}
MANDATORY = tuple(attribute.name for attribute in ATTRIBUTES if attribute.mandatory)


def validate_mapping(mapping) -> None:
    """Shape of the mapping: known attributes, column names or ``None``, no column used twice."""
    if not isinstance(mapping, Mapping):
        raise ValidationError("The attribute mapping must be an object {attribute: column}.")
    errors = []
    used: dict[str, str] = {}
    for attribute, column in mapping.items():
        if attribute not in BY_NAME:
            known = ", ".join(BY_NAME)
            errors.append(f"Unknown attribute {attribute!r} (known: {known}).")
            continue
        if column is None:
            continue  # "do not import from source"
        if not isinstance(column, str) or not column.strip():
            errors.append(f"Attribute {attribute!r}: the column must be a non-empty name, or null for 'do not import'.")
            continue
        column = column.strip()
        if column in used:
            errors.append(f"Column {column!r} is mapped to both {used[column]!r} and {attribute!r}.")
        used[column] = attribute
    if errors:
        raise ValidationError(errors)


def missing_mandatory(mapping: Mapping) -> list[str]:
    return [name for name in MANDATORY if not (mapping or {}).get(name)]


def imported(mapping: Mapping) -> dict[str, str]:
    """``{attribute: column}`` of the attributes read from the source (mapped, not "do not import")."""
    return {attribute: column.strip() for attribute, column in (mapping or {}).items() if column}


def check_columns(mapping: Mapping, columns: Iterable[str], *, source: str) -> list[str]:
    """Errors naming the mapped columns that ``source`` lacks."""
    present = {column.strip() for column in columns if column is not None}
    return [
        f"{source}: column {column!r} (mapped to {attribute!r}) is missing."
        for attribute, column in imported(mapping).items()
        if column not in present
    ]


def check_email_columns(
    mapping: Mapping, rows: Iterable[Mapping[str, str]], *, source: str, limit: int = 20
) -> list[str]:
    """Errors for non-empty values of e-mail attributes (email, manager) that are not e-mails."""
    email_columns = {attribute: column for attribute, column in imported(mapping).items() if BY_NAME[attribute].email}
    errors = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        for attribute, column in email_columns.items():
            value = (row.get(column) or "").strip()
            if not value:
                continue
            try:
                validate_email(value)
            except ValidationError:
                errors.append(
                    f"{source}, row {number}, column {column!r}: {value!r} is not an e-mail address "
                    f"(attribute {attribute!r} must map to a column of e-mails)."
                )
                if len(errors) >= limit:
                    return errors
    return errors
