"""Views of the channel API: a customer's configurations, their runs, error reports, run now.

Scoping is the enterprise API's: staff see every customer, a customer's administrators only
theirs (another customer's objects are not found). Staff act through each channel's configuration
permissions (``permissions``) and the run model's view permission.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from enterprise.api.v1.errors import error
from enterprise.api.v1.pagination import NewestFirstPagination
from enterprise.api.v1.permissions import ModelPermissions, customers_visible_to, is_staff
from integrated_channels.integrated_channel.api.v1 import serializers as s
from integrated_channels.integrated_channel.api.v1.filters import ConfigurationFilter, RunFilter
from integrated_channels.integrated_channel.api.v1.permissions import (
    ConfigurationPermissions,
    channels_allowed,
    check_channel_permission,
)
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.services import dispatch, error_report
from integrated_channels.integrated_channel.services.results import LOCKED


class RunsPagination(NewestFirstPagination):
    ordering = ("-started_at", "-id")


@extend_schema_view(
    list=extend_schema(
        description="Each configuration also carries its channel's own fields; secrets are never returned.",
    )
)
class ConfigurationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Channel configurations with each channel's own fields; secrets are write-only."""

    permission_classes = [ConfigurationPermissions]
    pagination_class = NewestFirstPagination
    serializer_class = s.ConfigurationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConfigurationFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        configurations = ChannelConfiguration.objects.filter(
            customer_id__in=customers_visible_to(self.request.user).values("pk")
        )
        if is_staff(self.request.user):  # the channels whose admin pages they may open
            configurations = configurations.filter(channel__in=channels_allowed(self.request.user, "view"))
        return configurations  # the query parameters narrow it (ConfigurationFilter)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "customers": customers_visible_to(self.request.user)}

    def get_object(self):
        return super().get_object().specific()

    def serializer_for(self, code: str):
        """The serializer of one configuration of channel ``code`` (detail, create, update)."""
        return s.serializer_for(code)

    def get_serializer_class(self):
        instance = getattr(self, "_instance", None)
        if instance is not None:
            return self.serializer_for(instance.channel)
        return s.ConfigurationSerializer

    def get_serializer(self, instance=None, *args, **kwargs):
        if instance is not None and not kwargs.get("many"):
            self._instance = instance
            return self.serializer_for(instance.channel)(
                instance, *args, context=self.get_serializer_context(), **kwargs
            )
        return super().get_serializer(instance, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        by_pk = {obj.pk: obj for obj in ChannelConfiguration.objects.filter(pk__in=[o.pk for o in page]).specific()}
        context = self.get_serializer_context()
        data = [s.serializer_for(by_pk[o.pk].channel)(by_pk[o.pk], context=context).data for o in page]
        return self.get_paginated_response(data)

    def create(self, request, *args, **kwargs):
        """Create a configuration of the channel named by ``channel`` (one per customer, channel and name)."""
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": "Expected an object."}, code="invalid")
        chooser = s.NewConfigurationSerializer(data={"channel": request.data.get("channel")})
        chooser.is_valid(raise_exception=True)
        check_channel_permission(request.user, chooser.validated_data["channel"], "add")
        serializer = self.serializer_for(chooser.validated_data["channel"])(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        _save(serializer)

    def perform_update(self, serializer):
        _save(serializer)

    @extend_schema(request=s.RunNowSerializer, responses={202: s.RunNowResultSerializer})
    @action(detail=True, methods=["post"], url_path="run")
    def run_now(self, request, pk=None):
        """Run this configuration now (optionally a dry run, or from ``start_date``)."""
        configuration = self.get_object()
        serializer = s.RunNowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not configuration.transmittable:
            body = {"errors": [error("The configuration or its customer is inactive.", code="inactive")]}
            return Response(body, status=status.HTTP_409_CONFLICT)
        queued = dispatch.use_celery()
        results = dispatch.transmit(
            kind=serializer.validated_data["kind"],
            api_user=request.user,
            configuration_ids=[configuration.pk],
            dry_run=serializer.validated_data["dry_run"],
            start_date=serializer.validated_data["start_date"],
            trigger=Run.Trigger.API,
            wait=False,
        )
        if any(result.status == LOCKED for result in results):
            message = next(result.error for result in results if result.status == LOCKED)
            return Response({"errors": [error(message, code="run_locked")]}, status=status.HTTP_409_CONFLICT)
        body = {"queued": queued, "runs": [vars(result) for result in results]}
        return Response(s.RunNowResultSerializer(body).data, status=status.HTTP_202_ACCEPTED)


def _save(serializer) -> None:
    """Save a configuration; the database's unique (customer, channel, name) answers a 400 on ``name``,
    also when two requests take the same name at once (a create, or a rename)."""
    try:
        with transaction.atomic():
            serializer.save()
    except IntegrityError:
        if not _name_taken(serializer):
            raise
        raise ValidationError(
            {"name": "This customer already has a connection of this channel with this name."}, code="unique"
        ) from None


def _name_taken(serializer) -> bool:
    """Whether another configuration holds the (customer, channel, name) this one was being saved with."""
    model, data, instance = serializer.Meta.model, serializer.validated_data, serializer.instance
    others = ChannelConfiguration.objects.filter(
        customer_id=data.get("customer_id", getattr(instance, "customer_id", None)),
        channel=model.CHANNEL_CODE,
        name=data.get("name", getattr(instance, "name", model.DEFAULT_NAME)),
    )
    return others.exclude(pk=getattr(instance, "pk", None)).exists()


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs with their counts, newest first, and each run's error report as CSV."""

    permission_classes = [ModelPermissions]
    permission_model = Run
    pagination_class = RunsPagination
    serializer_class = s.RunSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RunFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        runs = Run.objects.filter(customer_id__in=customers_visible_to(self.request.user).values("pk"))
        return runs  # the query parameters narrow it (RunFilter)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV report")})
    @action(detail=True, methods=["get"], url_path="errors")
    def error_report(self, request, pk=None):
        """The run's error report (CSV, one line per failed or not attempted record)."""
        run = self.get_object()
        response = StreamingHttpResponse(error_report.stream_csv(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{error_report.filename(run)}"'
        return response
