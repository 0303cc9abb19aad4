"""Linked and pending learners: lists that stay fast at a million rows.

Searches find part of an e-mail (or its domain), a name or a username through the user table's
trigram indexes on PostgreSQL (``learner_search``, decision 0201); a number is also a user id.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from enterprise.admin.paginator import LIST_CSS, LargeTableAdminMixin
from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.learner_search import matching_users


class EnterpriseCourseEnrollmentInline(admin.TabularInline):
    model = EnterpriseCourseEnrollment
    extra = 0
    fields = ("course_id", "mode", "source", "program_id", "created", "unenrolled_at")
    readonly_fields = ("created", "unenrolled_at")
    show_change_link = True
    can_delete = False  # enrollments are unenrolled, not deleted (decision 0100)


@admin.register(EnterpriseCustomerUser)
class EnterpriseCustomerUserAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "username", "email", "customer", "linked", "active", "created")
    list_select_related = ("customer", "user")
    list_filter = ("linked", "active", "customer")
    raw_id_fields = ("user",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("unlinked_at", "created", "modified")
    search_fields = ("user__username",)  # replaced by get_search_results; keeps the search box
    search_help_text = _("Part of an e-mail address (or its domain), a name or a username; or a user id.")
    ordering = ("-id",)

    class Media:
        css = {"all": (LIST_CSS,)}

    inlines = [EnterpriseCourseEnrollmentInline]

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj):
        return obj.user.get_username()

    @admin.display(description=_("e-mail"))
    def email(self, obj):
        return obj.user.email

    def get_search_results(self, request, queryset, search_term):
        match = matching_users(search_term)
        return (queryset if match is None else match.filter_links(queryset)), False


@admin.register(PendingEnterpriseCustomerUser)
class PendingEnterpriseCustomerUserAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("user_email", "customer", "created")
    list_select_related = ("customer",)
    list_filter = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("created", "modified")
    search_fields = ("user_email",)  # replaced by get_search_results; keeps the search box
    search_help_text = _("Part of an e-mail address, or its domain.")
    ordering = ("-id",)

    class Media:
        css = {"all": (LIST_CSS,)}

    def get_search_results(self, request, queryset, search_term):
        term = normalize_email(search_term)
        if not term:
            return queryset, False
        return queryset.filter(user_email__icontains=term), False
