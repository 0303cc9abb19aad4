"""Enterprise and pending enrollments in the admin.

An enterprise enrollment is never deleted here: deleting would take the channels' audit rows with
it, and a channel such as LearningStudio could no longer drop the learner. The "Unenroll" action
unenrolls instead (the LMS enrollment is deactivated and the row kept with ``unenrolled_at``);
docs/decisions/0100-enrollments-are-unenrolled-not-deleted.md.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.admin.paginator import LargeTableAdminMixin
from enterprise.exceptions import EnterpriseError
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.services.unenrollment import unenroll_enrollments


class EnrolledFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("enrolled", _("Enrolled")), ("unenrolled", _("Unenrolled"))]

    def queryset(self, request, queryset):
        if self.value() == "enrolled":
            return queryset.enrolled()
        if self.value() == "unenrolled":
            return queryset.unenrolled()
        return queryset


@admin.register(EnterpriseCourseEnrollment)
class EnterpriseCourseEnrollmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "learner", "course_id", "mode", "source", "created", "unenrolled_at")
    list_select_related = ("learner",)
    list_filter = (EnrolledFilter, "source", "mode")
    search_fields = ("=course_id",)
    raw_id_fields = ("learner",)
    readonly_fields = ("created", "modified", "unenrolled_at")
    ordering = ("-id",)
    actions = ["unenroll"]

    def has_delete_permission(self, request, obj=None):
        return False  # unenroll instead: the channels need the row to tell remote systems

    @admin.action(description=_("Unenroll the selected enrollments (LMS included)"), permissions=["change"])
    def unenroll(self, request, queryset):
        try:
            count = unenroll_enrollments(enrollment_ids=queryset.values_list("pk", flat=True))
        except EnterpriseError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("Unenrolled %(count)d enrollment.", "Unenrolled %(count)d enrollments.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(PendingEnrollment)
class PendingEnrollmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "pending_learner", "course_id", "mode", "source", "created")
    list_select_related = ("pending_learner",)
    search_fields = ("=course_id",)
    raw_id_fields = ("pending_learner",)
    readonly_fields = ("created", "modified")
    ordering = ("-id",)
