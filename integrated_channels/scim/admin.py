"""SCIM tokens in the admin: listed, never shown (only their hash exists), revocable; SCIM users read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrated_channels.scim.models import ScimToken, ScimUser
from integrated_channels.scim.services.tokens import revoke


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "customer", "created", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix", "customer__name", "customer__slug")
    list_select_related = ("customer",)
    fields = ("customer", "name", "prefix", "created", "last_used", "revoked")
    readonly_fields = ("customer", "prefix", "created", "last_used")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False  # tokens are created with manage.py create_scim_token, which prints the secret once

    @admin.action(description=_("Revoke the selected SCIM tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = revoke(tokens=queryset)
        self.message_user(request, ngettext("%d token revoked.", "%d tokens revoked.", count) % count, messages.SUCCESS)


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    list_display = ("user_name", "email", "customer", "active", "modified")
    list_filter = ("active",)
    search_fields = ("user_name", "email", "external_id")
    list_select_related = ("customer",)
    readonly_fields = [field.name for field in ScimUser._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
