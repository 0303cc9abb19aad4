"""The portal's audit log for platform staff: read only (view permission), never changed or deleted here."""

from django.contrib import admin

from enterprise.models import PortalAction


@admin.register(PortalAction)
class PortalActionAdmin(admin.ModelAdmin):
    list_display = ("created", "username", "customer_name", "action", "counts", "status_code")
    list_filter = ("action", "status_code")  # customers: by name in the search (thousands would not fit a filter)
    search_fields = ("=username", "customer_name", "action")
    date_hierarchy = "created"
    ordering = ("-created", "-pk")
    readonly_fields = (
        "created",
        "user",
        "username",
        "customer",
        "customer_name",
        "action",
        "counts",
        "status_code",
        "path",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
