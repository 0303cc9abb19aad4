"""Admin of provider content: provider courses (read-only: the connectors write them), catalogs, progress."""

from django.contrib import admin
from django.db.models import Count

from enterprise.admin.paginator import LargeTableAdminMixin
from enterprise.lms.content import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the imports: shown, not edited by hand (the next import would overwrite them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.ProviderCourse)
class ProviderCourseAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    list_display = ("provider_id", "course", "provider", "language", "library", "last_seen", "retired")
    list_filter = ("provider", "retired", "language", "library")
    search_fields = ("=provider_id", "course__title")
    list_select_related = ("course",)
    ordering = ("-id",)


@admin.register(models.Catalog)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "course_count", "hidden")
    list_filter = ("hidden",)
    search_fields = ("name", "customer__name")
    list_select_related = ("customer",)
    readonly_fields = ("hidden",)
    fields = ("customer", "name", "hidden")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(course_count=Count("entries"))

    @admin.display(description="courses", ordering="course_count")
    def course_count(self, obj):
        return obj.course_count


@admin.register(models.ProviderProgress)
class ProviderProgressAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    list_display = ("user", "course", "percent", "time_spent_seconds", "last_activity", "completed_at")
    list_select_related = ("user", "course")
    search_fields = ("=course__provider_id", "user__email")
    ordering = ("-id",)
