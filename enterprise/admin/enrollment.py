from django.contrib import admin

from enterprise.admin.paginator import LargeTableAdminMixin
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment


@admin.register(EnterpriseCourseEnrollment)
class EnterpriseCourseEnrollmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "learner", "course_id", "mode", "source", "created")
    list_select_related = ("learner",)
    list_filter = ("source", "mode")
    search_fields = ("=course_id",)
    raw_id_fields = ("learner",)
    readonly_fields = ("created", "modified")
    ordering = ("-id",)


@admin.register(PendingEnrollment)
class PendingEnrollmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "pending_learner", "course_id", "mode", "source", "created")
    list_select_related = ("pending_learner",)
    search_fields = ("=course_id",)
    raw_id_fields = ("pending_learner",)
    readonly_fields = ("created", "modified")
    ordering = ("-id",)
