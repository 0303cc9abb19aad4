"""Serializers of the connections API: operations with their schedules, run now, test connection."""

from __future__ import annotations

from rest_framework import serializers

from integrated_channels.integrated_channel.models import OperationSchedule
from integrated_channels.integrated_channel.models.schedule import MAX_EVERY


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
