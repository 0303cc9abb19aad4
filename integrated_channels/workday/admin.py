from django.contrib import admin

from integrated_channels.directory.admin import IMPORT_FIELDS, DirectoryConfigurationForm
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.workday.models import WorkdayConfiguration, WorkdayWorker

CONNECTION_FIELDS = (
    "customer",
    "active",
    "host_url",
    "tenant",
    "username",
    "password",
    *IMPORT_FIELDS,
    "exclude_contingent_workers",
    "active_only",
)


class WorkdayConfigurationForm(DirectoryConfigurationForm):
    class Meta:
        model = WorkdayConfiguration
        fields = CONNECTION_FIELDS


@admin.register(WorkdayConfiguration)
class WorkdayConfigurationAdmin(ChannelConfigurationAdmin):
    """The connection; its operations' schedules, on-demand runs and execution status are the framework's pages."""

    form = WorkdayConfigurationForm
    list_display = ("customer", "name", "tenant", "username", "active", "modified")
    fields = (*CONNECTION_FIELDS, "created", "modified")
    readonly_fields = ("created", "modified")


@admin.register(WorkdayWorker)
class WorkdayWorkerAdmin(admin.ModelAdmin):
    """The workers imported, read-only: a Workday UUID, once set, is not cleared nor changed by an operator."""

    list_display = ("name", "email", "worker_uuid", "configuration", "modified")
    list_filter = ("customer",)
    search_fields = ("email", "name", "worker_uuid")
    readonly_fields = ("customer", "configuration", "worker_uuid", "email", "name", "modified")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
