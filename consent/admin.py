from django.contrib import admin

from consent.models import DataSharingConsent, DataSharingConsentHistory
from enterprise.admin.paginator import LargeTableAdminMixin


class HistoryInline(admin.TabularInline):
    model = DataSharingConsentHistory
    extra = 0
    can_delete = False
    readonly_fields = ("granted", "changed_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DataSharingConsent)
class DataSharingConsentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "customer", "user", "course_id", "granted", "modified")
    list_select_related = ("customer", "user")
    list_filter = ("granted", "customer")
    raw_id_fields = ("user",)
    autocomplete_fields = ("customer",)
    search_fields = ("=course_id", "=user__email")
    readonly_fields = ("created", "modified")
    ordering = ("-id",)
    inlines = [HistoryInline]
