"""The transmission audit, read-only: what was last sent for each enrollment and course, and how it went."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from enterprise.admin.paginator import LargeTableAdminMixin
from integrated_channels.integrated_channel.admin.runs import ReadOnlyAdmin
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    SubsectionGradeTransmissionAudit,
)
from integrated_channels.integrated_channel.registry import registry


class AuditChannelFilter(admin.SimpleListFilter):
    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return registry.as_choices()

    def queryset(self, request, queryset):
        return queryset.filter(configuration__channel=self.value()) if self.value() else queryset


@admin.register(LearnerDataTransmissionAudit)
class LearnerDataTransmissionAuditAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "configuration",
        "username",
        "remote_id",
        "course_id",
        "status",
        "completed",
        "grade",
        "attempts",
        "remote_status",
        "last_attempt_at",
        "sent_at",
    )
    list_select_related = ("configuration__customer", "enrollment__learner__user")
    list_filter = ("status", AuditChannelFilter, "completed")
    search_fields = ("=course_id", "=remote_id", "=enrollment__learner__user__username")
    ordering = ("-id",)
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    @admin.display(description=_("learner"))
    def username(self, obj):
        return obj.enrollment.learner.user.get_username()

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        import json

        return json.dumps(obj.payload, indent=2, sort_keys=True)


@admin.register(SubsectionGradeTransmissionAudit)
class SubsectionGradeTransmissionAuditAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "configuration",
        "username",
        "course_id",
        "subsection_id",
        "status",
        "grade",
        "attempts",
        "remote_status",
        "last_attempt_at",
        "sent_at",
    )
    list_select_related = ("configuration__customer", "enrollment__learner__user")
    list_filter = ("status", AuditChannelFilter)
    search_fields = ("=course_id", "=subsection_id", "=enrollment__learner__user__username")
    ordering = ("-id",)
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    username = LearnerDataTransmissionAuditAdmin.username
    payload_pretty = LearnerDataTransmissionAuditAdmin.payload_pretty


@admin.register(ContentTransmissionAudit)
class ContentTransmissionAuditAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "configuration",
        "course_id",
        "content_status",
        "status",
        "attempts",
        "remote_status",
        "last_attempt_at",
        "sent_at",
    )
    list_select_related = ("configuration__customer",)
    list_filter = ("status", AuditChannelFilter, "content_status")
    search_fields = ("=course_id",)
    ordering = ("-id",)
