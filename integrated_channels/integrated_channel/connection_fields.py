"""The documented field names of each connector's connections, derived from its model.

One description per configuration model, built from the registry (adding a connector needs no
edit here): the settings (the model's editable fields beyond the ones every connection shares),
the credentials (its encrypted fields: write-only), and the rows kept in child models that the
admin edits with the connection (its inlines, e.g. the xAPI import's mappings and filters; a
child model of run state, such as LearningStudio's jobs, is not one). ``manage.py connections
apply|export``, the REST API and docs/connectors/ all use these names.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass
from functools import cache

from django.db import models

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.integrated_channel.registry import Channel, registry

#: The fields every connection shares, written at the top level of a connection (not in ``settings``).
SHARED = ("name", "active", "notify_emails", "notify_when", "send_in_progress")


@dataclass(frozen=True)
class RowsField:
    """Child rows of a connection: ``name`` is the relation's name (e.g. "mappings")."""

    name: str
    model: type[models.Model]
    link: str  # the foreign key to the connection
    fields: tuple[models.Field, ...]

    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]


@dataclass(frozen=True)
class ConnectionFields:
    channel: Channel
    model: type[ChannelConfiguration]
    settings: tuple[models.Field, ...]
    credentials: tuple[models.Field, ...]
    rows: tuple[RowsField, ...]

    def setting(self, name: str) -> models.Field | None:
        return next((field for field in self.settings if field.name == name), None)

    def credential(self, name: str) -> models.Field | None:
        return next((field for field in self.credentials if field.name == name), None)

    def rows_field(self, name: str) -> RowsField | None:
        return next((rows for rows in self.rows if rows.name == name), None)


def _editable_own(model) -> list[models.Field]:
    shared = {field.name for field in ChannelConfiguration._meta.concrete_fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and not field.auto_created
        and field.name not in shared
        and not (field.one_to_one and field.remote_field.parent_link)
    ]


def _inline_models(model) -> set:
    from django.contrib import admin

    model_admin = admin.site._registry.get(model)
    return {inline.model for inline in getattr(model_admin, "inlines", ())}


def _rows(model) -> list[RowsField]:
    found = []
    inline_models = _inline_models(model)
    for relation in model._meta.related_objects:
        child = relation.related_model
        if not relation.one_to_many or child not in inline_models:
            continue
        if relation.on_delete is not models.CASCADE:
            continue
        link = relation.field.name
        fields = tuple(
            field
            for field in child._meta.concrete_fields
            if field.editable and not field.primary_key and field.name != link
        )
        found.append(RowsField(name=relation.get_accessor_name(), model=child, link=link, fields=fields))
    return sorted(found, key=lambda rows: rows.name)


@cache
def fields_of(code: str) -> ConnectionFields:
    """The field names of channel ``code``'s connections."""
    channel = registry.get(code)
    model = channel.get_configuration_model()
    own = _editable_own(model)
    return ConnectionFields(
        channel=channel,
        model=model,
        settings=tuple(field for field in own if not isinstance(field, EncryptedTextField)),
        credentials=tuple(field for field in own if isinstance(field, EncryptedTextField)),
        rows=tuple(_rows(model)),
    )


def to_json(value):
    """A model value as JSON (dates ISO 8601, decimals and UUIDs as strings)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def field_type(field: models.Field) -> str:
    """A short type name for the documentation."""
    if field.choices:
        return "one of " + ", ".join(f"``{value}``" for value, _label in field.flatchoices)
    return {
        "BooleanField": "true/false",
        "IntegerField": "integer",
        "PositiveIntegerField": "integer ≥ 0",
        "PositiveSmallIntegerField": "integer ≥ 0",
        "JSONField": "JSON",
        "URLField": "URL",
        "DateTimeField": "date-time (ISO 8601)",
    }.get(field.get_internal_type() if not isinstance(field, models.URLField) else "URLField", "text")
