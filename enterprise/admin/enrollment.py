"""Enterprise and pending enrollments in the admin.

An enterprise enrollment is never deleted here: deleting would take the channels' audit rows with
it, and a channel such as LearningStudio could no longer drop the learner. The "Unenroll" action
unenrolls instead (the LMS enrollment is deactivated and the row kept with ``unenrolled_at``);
docs/decisions/0100-enrollments-are-unenrolled-not-deleted.md.

Both lists are searched by the learner (part of the e-mail or its domain, a name, a username:
``learner_search``, decision 0201) or by the exact course id.
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.admin.paginator import LIST_CSS, LargeTableAdminMixin
from enterprise.exceptions import EnterpriseError
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.services.learner_search import matching_users
from enterprise.services.unenrollment import unenroll_enrollments


def _learner_or_course(queryset, search_term: str, *, user_field: str = "", email_field: str = ""):
    """Rows of the exact course id, or of the learners the term matches (users or pending e-mails)."""
    term = " ".join(search_term.split())
    if not term:
        return queryset
    condition = Q(course_id=term)
    if user_field:
        match = matching_users(term)
        condition |= Q(**{f"{user_field}__in": match.ids if match.ids is not None else match.query})
    if email_field:
        condition |= Q(**{f"{email_field}__icontains": term})
    return queryset.filter(condition)


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
    list_display = ("id", "username", "email", "course_id", "mode", "source", "started_by", "created", "unenrolled_at")
    list_select_related = ("learner__user",)
    list_filter = (EnrolledFilter, "source", "started_by", "mode")
    search_fields = ("=course_id",)  # replaced by get_search_results; keeps the search box
    search_help_text = _("Part of the learner's e-mail (or its domain), name or username, or an exact course id.")
    raw_id_fields = ("learner",)
    readonly_fields = ("created", "modified", "unenrolled_at", "paid_amount", "paid_currency", "purchased_at")
    ordering = ("-id",)

    class Media:
        css = {"all": (LIST_CSS,)}

    actions = ["unenroll"]

    def has_delete_permission(self, request, obj=None):
        return False  # unenroll instead: the channels need the row to tell remote systems

    @admin.display(description=_("username"), ordering="learner__user__username")
    def username(self, obj):
        return obj.learner.user.get_username()

    @admin.display(description=_("e-mail"))
    def email(self, obj):
        return obj.learner.user.email

    def get_search_results(self, request, queryset, search_term):
        return _learner_or_course(queryset, search_term, user_field="learner__user_id"), False

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
    list_display = ("id", "pending_learner", "course_id", "mode", "source", "started_by", "created")
    list_select_related = ("pending_learner",)
    search_fields = ("=course_id",)  # replaced by get_search_results; keeps the search box
    search_help_text = _("Part of the pending learner's e-mail (or its domain), or an exact course id.")
    raw_id_fields = ("pending_learner",)
    readonly_fields = ("created", "modified", "paid_amount", "paid_currency", "purchased_at")
    ordering = ("-id",)

    class Media:
        css = {"all": (LIST_CSS,)}

    def get_search_results(self, request, queryset, search_term):
        return _learner_or_course(queryset, search_term, email_field="pending_learner__user_email"), False
