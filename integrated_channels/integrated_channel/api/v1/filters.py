"""Query-parameter filters of the channel API (django-filter; decision 0475).

They narrow what the view's ``get_queryset`` scoped to the user's customers; ``connection``
looks the connection up among those same customers, so it cannot reach another customer's runs.
"""

from __future__ import annotations

from django_filters import rest_framework as filters

from enterprise.api.v1.filters import customer_filter, id_filter
from enterprise.api.v1.permissions import customers_visible_to
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run


class ConfigurationFilter(filters.FilterSet):
    customer = customer_filter(help_text="Only this customer's configurations.")
    channel = filters.CharFilter(method="filter_channel", help_text="A channel's code (any case), e.g. `SAP`.")

    class Meta:
        model = ChannelConfiguration
        fields = ["customer", "channel"]

    def filter_channel(self, queryset, name, value: str):
        return queryset.filter(channel=value.upper())


class RunFilter(filters.FilterSet):
    customer = customer_filter(help_text="Only this customer's runs.")
    configuration = id_filter(
        field_name="configuration_id",
        invalid="Not a configuration id.",
        description="A configuration's id: its own runs.",
    )
    connection = id_filter(
        method="filter_connection",
        invalid="Not a connection id.",
        description="A connection's id: its runs, and those of a deleted connection of the same name.",
    )
    operation = filters.CharFilter(field_name="kind", help_text="An operation's code (the run's kind).")
    status = filters.ChoiceFilter(choices=Run.Status.choices, error_messages={"invalid_choice": "Not a run status."})

    class Meta:
        model = Run
        fields = ["customer", "configuration", "connection", "operation", "status"]

    def filter_connection(self, queryset, name, value: int):
        visible = customers_visible_to(self.request.user).values("pk")
        connection = ChannelConfiguration.objects.filter(pk=value, customer_id__in=visible).first()
        return queryset.of_connection(connection) if connection is not None else queryset.none()
