"""The SFTP connection's attribute mapping, checked by the import pipeline's rules (``imports.mapping``).

Stored as JSON on the connection, ``{field key: column}`` (decision 0062); ``None`` is "do not
import from source". The field's own validator checks the shape only (it cannot know the
customer); the connection's ``clean`` checks the keys against the customer's learner fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from enterprise.learner_fields import BUILT_IN, Field
from integrated_channels.integrated_channel.imports import mapping as _mapping
from integrated_channels.integrated_channel.imports.mapping import check_columns, imported, validate_shape

__all__ = ["check_columns", "check_email_columns", "imported", "validate_mapping", "validate_shape"]


def validate_mapping(value, fields: Sequence[Field] = BUILT_IN) -> None:
    """Shape and keys (the built-in fields, or ``fields``: the customer's)."""
    _mapping.validate(value, fields)


def check_email_columns(
    mapping: Mapping, rows: Iterable[Mapping[str, str]], *, source: str, fields: Sequence[Field] = BUILT_IN
) -> list[str]:
    return _mapping.check_email_columns(mapping, rows, fields=fields, source=source)
