"""Serializers of the channel API. A configuration is serialized with its channel's own fields;
secrets (encrypted fields) are write-only: they can be set, never read back."""

from __future__ import annotations

import copy
from functools import cache

from django.db import models
from rest_framework import serializers

from enterprise.fields import encrypted_field_names
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, LEARNER_DATA, registry

_COMMON = [
    "id",
    "channel",
    "customer",
    "name",
    "active",
    "send_in_progress",
    "notify_emails",
    "notify_when",
    "created",
    "modified",
]


def secret_fields(model) -> list[str]:
    return encrypted_field_names(model)


def _own_fields(model) -> list[str]:
    parent_ptrs = {
        field.name for field in model._meta.concrete_fields if field.one_to_one and field.remote_field.parent_link
    }
    secrets = set(secret_fields(model))
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.model is model
        and field.name not in parent_ptrs
        and field.name not in _COMMON
        # a secret only a flow sets (an OAuth refresh token: editable=False) is neither read nor written
        # here (DRF would make it read-only *and* write-only: a 500); ``secrets_set`` says when it is set
        and not (field.name in secrets and not field.editable)
    ]


class ConfigurationSerializer(serializers.ModelSerializer):
    """The fields every channel shares; ``serializer_for`` adds a channel's own."""

    customer = serializers.UUIDField(source="customer_id")
    channel = serializers.CharField(read_only=True)
    secrets_set = serializers.SerializerMethodField(help_text="The secret fields that hold a value (never the value).")

    class Meta:
        model = ChannelConfiguration
        fields = [*_COMMON, "secrets_set"]
        read_only_fields = ["id", "channel", "created", "modified"]

    def get_fields(self):
        """Objects a configuration points at (a SAP identity provider …) are chosen among the caller's
        customers': another customer's answers like a missing one (decision 0156)."""
        fields = super().get_fields()
        customers = self.context.get("customers")
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if customers is not None and queryset is not None and _of_a_customer(queryset.model):
                relation.queryset = queryset.filter(customer__in=customers)
        return fields

    def validate(self, attrs):
        """An object the configuration points at belongs to the configuration's own customer (decision 0156);
        the remote addresses given must be allowed (decision 0151); when the host the credentials go to
        changes, every stored secret must be given again (decision 0152)."""
        attrs = super().validate(attrs)
        self._validate_own_customer(attrs)
        self._validate_addresses(attrs)
        self._validate_rules(attrs)
        return attrs

    def _validate_rules(self, attrs) -> None:
        """The channel's rules between its own fields (``rule_errors``), on the configuration as it would be saved."""
        model = self.Meta.model
        if model is ChannelConfiguration:
            return
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        if errors := candidate.rule_errors():
            raise serializers.ValidationError(errors, code="invalid")

    def _validate_own_customer(self, attrs) -> None:
        customer_id = attrs.get("customer_id", getattr(self.instance, "customer_id", None))
        for name, value in attrs.items():
            if isinstance(value, models.Model) and _of_a_customer(type(value)) and value.customer_id != customer_id:
                raise serializers.ValidationError(
                    {name: "Not an object of the configuration's customer."}, code="other_customer"
                )

    def get_secrets_set(self, obj) -> list[str]:
        return [name for name in secret_fields(type(obj)) if getattr(obj, name, "")]

    def _validate_addresses(self, attrs) -> None:
        model = self.Meta.model
        if model is ChannelConfiguration:
            return
        if self.instance is None:
            errors = addresses.configuration_errors(model(), attrs)
        else:
            errors = {
                name: message
                for name, message in addresses.configuration_errors(self.instance, attrs).items()
                if name in attrs
            }
            entered = {name for name in secret_fields(model) if attrs.get(name)}
            errors.update(addresses.reentry_errors(self.instance, attrs, entered, secret_fields(model)))
        if errors:
            raise serializers.ValidationError(errors, code="invalid")

    def validate_customer(self, value):
        allowed = self.context["customers"]
        if not allowed.filter(pk=value).exists():
            raise serializers.ValidationError("No such customer.", code="does_not_exist")
        if self.instance is not None and value != self.instance.customer_id:
            raise serializers.ValidationError("A configuration cannot move to another customer.", code="read_only")
        return value


def _of_a_customer(model) -> bool:
    return any(field.name == "customer" and field.many_to_one for field in model._meta.concrete_fields)


@cache
def serializer_for(code: str) -> type[ConfigurationSerializer]:
    """The serializer of channel ``code``'s configuration model (built once per channel)."""
    model = registry.get(code).get_configuration_model()
    own = _own_fields(model)
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": [*_COMMON, *own, "secrets_set"],
            "read_only_fields": ConfigurationSerializer.Meta.read_only_fields,
            "extra_kwargs": {name: {"write_only": True} for name in secret_fields(model) if name in own},
        },
    )
    return type(f"{model.__name__}Serializer", (ConfigurationSerializer,), {"Meta": meta})


class NewConfigurationSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = registry.as_choices()


class RunSerializer(serializers.ModelSerializer):
    customer = serializers.UUIDField(source="customer_id", read_only=True)
    configuration = serializers.IntegerField(
        source="configuration_id", read_only=True, allow_null=True, help_text="null once the connection was deleted."
    )
    error_report = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "configuration",
            "customer",
            "channel",
            "connection_name",
            "kind",
            "trigger",
            "status",
            "dry_run",
            "start_date",
            "started_at",
            "finished_at",
            "selected",
            "sent",
            "skipped",
            "failed",
            "not_attempted",
            "skip_reasons",
            "remote_calls",
            "learners_unlinked",
            "error_code",
            "error_message",
            "error_report",
        ]
        read_only_fields = fields

    def get_error_report(self, run) -> str:
        request = self.context.get("request")
        path = f"/integrated_channels/api/v1/runs/{run.pk}/errors/"
        return request.build_absolute_uri(path) if request else path


class RunNowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(LEARNER_DATA, "Learner data"), (CONTENT_METADATA, "Content metadata")], default=LEARNER_DATA
    )
    dry_run = serializers.BooleanField(default=False)
    start_date = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Only records completed on or after this date."
    )


class RunResultSerializer(serializers.Serializer):
    run_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    selected = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    error = serializers.CharField()


class RunNowResultSerializer(serializers.Serializer):
    queued = serializers.BooleanField(help_text="True when the run was handed to Celery workers.")
    runs = RunResultSerializer(many=True)
