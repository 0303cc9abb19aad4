"""Serializers of the connections API: a connection with its rows, operations with their schedules,
run now, test connection."""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrated_channels.integrated_channel.api.v1.serializers import ConfigurationSerializer, serializer_for
from integrated_channels.integrated_channel.connection_fields import fields_of
from integrated_channels.integrated_channel.models import OperationSchedule
from integrated_channels.integrated_channel.models.schedule import MAX_EVERY
from integrated_channels.integrated_channel.services import connection_files


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        "example": {"mappings": [{"path": "actor.mbox", "column": "Email", "value_type": "string"}]},
    }
)
class RowsField(serializers.Field):
    """The connection's child rows ``{relation: [row, …]}`` (the connector's fields in docs/connectors/).

    Read: every relation of the connector. Written: each relation given replaces the connection's
    rows of that relation (the others are kept), through ``connection_files.save_rows`` — the same
    code and errors (``rows.<name>[<index>].<field>``) as ``manage.py connections apply``.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, instance):
        return connection_files.rows_of(instance)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected an object {relation: [row, …]}.", code="invalid")
        return {"rows": data}


class ConnectionRowsMixin:
    """Saves the rows given with the connection in the same transaction (a refused row saves nothing)."""

    def save(self, **kwargs):
        rows = self.validated_data.pop("rows", None)
        with transaction.atomic():
            instance = super().save(**kwargs)
            if rows is not None:
                try:
                    connection_files.save_rows(instance, rows)
                except DjangoValidationError as exc:
                    detail = exc.message_dict if hasattr(exc, "error_dict") else {"rows": exc.messages}
                    raise serializers.ValidationError(detail, code="invalid") from None
        return instance


class ConnectionSerializer(ConfigurationSerializer):
    """A connection as the API describes it: each connector adds its own fields; ``rows`` only when it has
    child rows (see docs/connectors/)."""

    rows = RowsField(help_text="The connection's child rows by relation; each relation given replaces its rows.")

    class Meta(ConfigurationSerializer.Meta):
        fields = [*ConfigurationSerializer.Meta.fields, "rows"]


@cache
def connection_serializer_for(code: str) -> type[ConfigurationSerializer]:
    """The connections API's serializer of connector ``code``: its configuration's, with ``rows`` when it has any."""
    base = serializer_for(code)
    if not fields_of(code).rows:
        return base
    meta = type("Meta", (base.Meta,), {"fields": [*base.Meta.fields, "rows"]})
    return type(
        base.__name__.replace("Serializer", "ConnectionSerializer"),
        (ConnectionRowsMixin, base),
        {
            "Meta": meta,
            "rows": RowsField(),
        },
    )


class ScheduleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(default=True)
    start = serializers.DateTimeField(help_text="First run (date and time).")
    every = serializers.IntegerField(min_value=1, max_value=MAX_EVERY)
    unit = serializers.ChoiceField(choices=OperationSchedule.Unit.choices)


class LatestRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class OperationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The operation's code (the kind of its runs).")
    name = serializers.CharField()
    direction = serializers.ChoiceField(choices=["import", "export"])
    schedulable = serializers.BooleanField()
    uses_start_date = serializers.BooleanField(help_text="Run now takes a start date.")
    schedule = ScheduleSerializer(allow_null=True)
    latest_run = LatestRunSerializer(allow_null=True)


class OperationRunSerializer(serializers.Serializer):
    start_date = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Run from this date (exports cover it until now)."
    )


class OperationRunResultSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    status = serializers.CharField(help_text="running while queued on a worker; its end status otherwise.")
    queued = serializers.BooleanField(help_text="True when the run was handed to Celery workers.")


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    found = serializers.ListField(child=serializers.CharField(), help_text="What the remote offers (e.g. columns).")
    found_label = serializers.CharField()
