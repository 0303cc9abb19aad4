"""The connections API: a customer's connections of every connector, their operations (with their
schedules), run now, test connection. Runs are listed by ``views.RunViewSet``.

A connection is the same object as a configuration (``/configurations/`` stays for existing
clients); secrets are write-only; deleting a connection keeps its runs (decision 0172). Its detail,
creation and update also carry its child ``rows`` (e.g. the xAPI import's mappings and filters),
read and written through ``connection_files`` as ``manage.py connections`` does (decision 0411); the
list leaves them out (one query per relation and connection). Scoping
and permissions are the configuration API's: staff see every customer, a customer's
administrators only theirs (another customer's connection is not found).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from enterprise.api.v1.errors import error
from integrated_channels.integrated_channel import schedules
from integrated_channels.integrated_channel.api.v1 import connection_serializers as cs
from integrated_channels.integrated_channel.api.v1.views import ConfigurationViewSet
from integrated_channels.integrated_channel.exceptions import OperationRefused, RunLocked
from integrated_channels.integrated_channel.models import OperationSchedule, Run
from integrated_channels.integrated_channel.services import connections, operations

OPERATION_CODE = r"(?P<code>[a-z0-9_]{1,32})"


def _schedule(schedule: OperationSchedule | None) -> dict | None:
    if schedule is None:
        return None
    return {"enabled": schedule.enabled, "start": schedule.start, "every": schedule.every, "unit": schedule.unit}


@extend_schema_view(
    destroy=extend_schema(description="Delete the connection; its runs are kept (listed under its customer)."),
    retrieve=extend_schema(responses={200: cs.ConnectionSerializer}),
    create=extend_schema(request=cs.ConnectionSerializer, responses={201: cs.ConnectionSerializer}),
    update=extend_schema(request=cs.ConnectionSerializer, responses={200: cs.ConnectionSerializer}),
    partial_update=extend_schema(request=cs.ConnectionSerializer, responses={200: cs.ConnectionSerializer}),
)
class ConnectionViewSet(mixins.DestroyModelMixin, ConfigurationViewSet):
    """Connections of every connector with each connector's own fields and rows; secrets are write-only."""

    run_now = None  # the configurations' transmit-only "run": connections run any operation by code

    def serializer_for(self, code: str):
        return cs.connection_serializer_for(code)

    def _operation(self, configuration, code: str):
        try:
            return operations.operation_of(configuration, code)
        except OperationRefused as exc:
            raise NotFound(str(exc), code="no_such_operation") from None

    @extend_schema(responses={200: cs.OperationSerializer(many=True)}, filters=False)  # one connection's
    @action(detail=True, methods=["get"], url_path="operations", pagination_class=None)  # a plain list
    def operations(self, request, pk=None):
        """The operations of this connection with their schedules and latest runs."""
        configuration = self.get_object()
        by_code = {s.operation: s for s in OperationSchedule.objects.filter(configuration_id=configuration.pk)}
        operations_of = configuration.get_channel().all_operations()
        latest = {operation.code: operations.latest_run(configuration, operation.code) for operation in operations_of}
        data = [
            {
                "code": operation.code,
                "name": operation.name,
                "direction": operation.direction,
                "schedulable": operation.schedulable,
                "uses_start_date": operation.uses_start_date,
                "schedule": _schedule(by_code.get(operation.code)),
                "latest_run": latest.get(operation.code),
            }
            for operation in operations_of
        ]
        return Response(cs.OperationSerializer(data, many=True).data)

    @extend_schema(request=cs.ScheduleSerializer, responses={200: cs.ScheduleSerializer})
    @action(detail=True, methods=["put"], url_path=f"operations/{OPERATION_CODE}/schedule")
    def schedule(self, request, pk=None, code=None):
        """Set the schedule of one operation (enabled, first run, every N hours or days)."""
        configuration = self.get_object()
        operation = self._operation(configuration, code)
        serializer = cs.ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            saved = schedules.save_schedule(configuration, operation.code, **serializer.validated_data)
        except OperationRefused as exc:
            raise ValidationError({"operation": str(exc)}, code="not_schedulable") from None
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
        return Response(cs.ScheduleSerializer(_schedule(saved)).data)

    @extend_schema(request=cs.OperationRunSerializer, responses={202: cs.OperationRunResultSerializer})
    @action(detail=True, methods=["post"], url_path=f"operations/{OPERATION_CODE}/run")
    def run_operation(self, request, pk=None, code=None):
        """Run one operation now (from ``start_date`` when given): queued on Celery when a broker is
        configured, in this process otherwise. Answers the run's id."""
        configuration = self.get_object()
        operation = self._operation(configuration, code)
        serializer = cs.OperationRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not configuration.transmittable:
            body = {"errors": [error("The connection or its customer is disabled.", code="inactive")]}
            return Response(body, status=status.HTTP_409_CONFLICT)
        try:
            run, queued = operations.queue(
                configuration,
                operation.code,
                trigger=Run.Trigger.API,
                start_date=serializer.validated_data["start_date"],
                api_user=request.user,
            )
        except RunLocked as exc:
            return Response({"errors": [error(str(exc), code="run_locked")]}, status=status.HTTP_409_CONFLICT)
        body = {"run_id": run.pk, "status": run.status, "queued": queued}
        return Response(cs.OperationRunResultSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: cs.ConnectionTestSerializer})
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request, pk=None):
        """Test the connection: authenticate against the remote and say what was found, or why it failed."""
        result = connections.test_connection(self.get_object())
        return Response(cs.ConnectionTestSerializer(result.as_dict()).data)
