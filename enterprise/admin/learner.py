"""Linked and pending learners: lists that stay fast at a million rows.

Searches find part of an e-mail (or its domain), a name or a username through the user table's
trigram indexes on PostgreSQL (``learner_search``, decision 0201); a number is also a user id.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from enterprise.admin.paginator import LIST_CSS, LargeTableAdminMixin
from enterprise.emails import normalize_email
from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomerUser,
    LearnerFieldChange,
    LearnerRemoteIdentity,
    PendingEnterpriseCustomerUser,
)
from enterprise.services import learner_ids
from enterprise.services.learner_search import matching_users


class EnterpriseCourseEnrollmentInline(admin.TabularInline):
    model = EnterpriseCourseEnrollment
    extra = 0
    fields = ("course_id", "mode", "role", "source", "program_id", "created", "unenrolled_at")
    readonly_fields = ("created", "unenrolled_at")
    show_change_link = True
    can_delete = False  # enrollments are unenrolled, not deleted (decision 0100)


class LearnerForm(forms.ModelForm):
    """The learner's SAP user id is its own field (validated, audited by ``learner_ids``), not a key to edit in
    the attributes' JSON: a change made there to that key is ignored."""

    sap_user_id = forms.CharField(
        label=_("SAP user id"),
        required=False,
        max_length=learner_ids.MAX_LENGTH,
        help_text=_(
            "The learner's user id in the customer's SAP SuccessFactors (userID of the completions sent). "
            "Empty: the id recorded when they sign in through the customer's identity provider, if any. "
            "Every change is recorded (Learner field changes)."
        ),
    )

    class Meta:
        model = EnterpriseCustomerUser
        fields = ("customer", "user", "active", "linked", "attributes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_sap_user_id = learner_ids.current_value(self.instance) if self.instance.pk else ""
        self.fields["sap_user_id"].initial = self.stored_sap_user_id

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "sap_user_id" in cleaned and not self.errors:
            if cleaned.get("customer") is not None:
                self.instance.customer = cleaned["customer"]
            check = learner_ids.set_for_learner(
                self.instance, cleaned["sap_user_id"], source=learner_ids.Source.ADMIN, dry_run=True
            )
            if check.error:
                self.add_error("sap_user_id", check.message)
        return cleaned


@admin.register(EnterpriseCustomerUser)
class EnterpriseCustomerUserAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    form = LearnerForm
    list_display = ("id", "username", "email", "customer", "linked", "active", "created")
    list_select_related = ("customer", "user")
    list_filter = ("linked", "active", "customer")
    raw_id_fields = ("user",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("unlinked_at", "created", "modified", "sap_user_ids_at_sign_in", "sap_user_id_changes")
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

    @admin.display(description=_("SAP user ids recorded at sign-in"))
    def sap_user_ids_at_sign_in(self, obj):
        if not obj.pk:
            return "-"
        rows = LearnerRemoteIdentity.objects.filter(
            user_id=obj.user_id, identity_provider__customer_id=obj.customer_id
        ).values_list("identity_provider__provider_id", "remote_id")
        return format_html_join(", ", "{} ({})", ((remote_id, provider) for provider, remote_id in rows)) or "-"

    @admin.display(description=_("SAP user id changes (newest first)"))
    def sap_user_id_changes(self, obj):
        if not obj.pk:
            return "-"
        changes = obj.field_changes.select_related("changed_by").order_by("-created", "-pk")[:10]
        return (
            format_html_join(
                mark_safe("<br>"),
                "{}: {} → {} ({}{})",
                (
                    (
                        date_format(timezone.localtime(c.created), "DATETIME_FORMAT"),
                        c.old_value or "—",
                        c.new_value or "—",
                        c.get_source_display(),
                        f", {c.changed_by.get_username()}" if c.changed_by else "",
                    )
                    for c in changes
                ),
            )
            or "-"
        )

    def save_model(self, request, obj, form, change):
        stored = form.stored_sap_user_id
        attributes = dict(obj.attributes or {})
        if stored:  # the JSON's copy of the key never changes it: the field does, audited
            attributes[learner_ids.SAP_USER_ID] = stored
        else:
            attributes.pop(learner_ids.SAP_USER_ID, None)
        obj.attributes = attributes
        super().save_model(request, obj, form, change)
        value = form.cleaned_data.get("sap_user_id", "")
        if value.strip() != stored:
            learner_ids.set_for_learner(obj, value, source=learner_ids.Source.ADMIN, changed_by=request.user)

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


@admin.register(LearnerFieldChange)
class LearnerFieldChangeAdmin(admin.ModelAdmin):
    """The audit of SAP user ids: read only, never deleted from the admin."""

    list_display = ("created", "customer", "learner", "key", "old_value", "new_value", "source", "changed_by", "run_id")
    list_select_related = ("customer", "learner__user", "changed_by")
    list_filter = ("source", "key", "customer")
    raw_id_fields = ("learner",)
    search_fields = ("=old_value", "=new_value")
    ordering = ("-created", "-pk")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
