"""The record of every enrollment notification e-mail, read-only, with "send again" for failures."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.admin.paginator import LargeTableAdminMixin
from enterprise.models import EnrollmentNotification
from enterprise.services.notifications import requeue_notifications


@admin.register(EnrollmentNotification)
class EnrollmentNotificationAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "email", "customer", "template_type", "target_id", "status", "sent_at", "created")
    list_select_related = ("customer",)
    list_filter = ("status", "template_type")
    search_fields = ("=email", "=target_id")
    search_help_text = _("An exact e-mail address or course / program id.")
    ordering = ("-id",)
    actions = ["send_again"]
    readonly_fields = [field.name for field in EnrollmentNotification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was e-mailed is history: never deleted from the admin

    def has_send_permission(self, request):
        """Sending again needs the change permission, although the records themselves are read-only."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Send the selected failed notifications again"), permissions=["send"])
    def send_again(self, request, queryset):
        count = requeue_notifications(notification_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(
            request,
            ngettext("%(count)d notification queued again.", "%(count)d notifications queued again.", count)
            % {"count": count},
        )
