"""Admin of the embedded LMS tables (catalog, enrollments, certificates, grades)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from enterprise.admin.paginator import LargeTableAdminMixin
from enterprise.lms.local import models


class CourseModeInline(admin.TabularInline):
    model = models.CourseMode
    extra = 0


class CourseSkillFormSet(BaseInlineFormSet):
    def clean(self):
        """A skill named twice in one submission (in any case) is refused, like one already stored."""
        super().clean()
        seen = set()
        for form in self.forms:
            name = (form.cleaned_data.get("name") or "").strip().casefold() if form.cleaned_data else ""
            if not name or form.cleaned_data.get("DELETE"):
                continue
            if name in seen:
                raise ValidationError(_("The skill %(name)s is listed twice.") % {"name": form.cleaned_data["name"]})
            seen.add(name)


class CourseSkillInline(admin.TabularInline):
    model = models.CourseSkill
    formset = CourseSkillFormSet
    extra = 0


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("course_id", "title", "pacing", "start", "end")
    list_filter = ("pacing",)
    search_fields = ("course_id", "title")
    inlines = [CourseModeInline, CourseSkillInline]


class ProgramCourseInline(admin.TabularInline):
    model = models.ProgramCourse
    extra = 0
    autocomplete_fields = ("course",)
    ordering = ("position",)


@admin.register(models.Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("title", "program_id")
    search_fields = ("title", "=program_id")
    inlines = [ProgramCourseInline]


class UserCourseAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_select_related = ("user", "course")
    raw_id_fields = ("user",)
    autocomplete_fields = ("course",)
    search_fields = ("=course__course_id", "user__username")
    ordering = ("-id",)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(user__email__iexact=term), False
        if term.startswith("course-") or ":" in term:
            return queryset.filter(course__course_id=term), False
        return queryset.filter(user__username__startswith=term), False


@admin.register(models.LmsEnrollment)
class LmsEnrollmentAdmin(UserCourseAdmin):
    list_display = ("id", "user", "course", "mode", "is_active", "created")
    list_filter = ("is_active", "mode")


@admin.register(models.Certificate)
class CertificateAdmin(UserCourseAdmin):
    list_display = ("id", "user", "course", "grade", "issued_at")


@admin.register(models.Grade)
class GradeAdmin(UserCourseAdmin):
    list_display = ("id", "user", "course", "percent", "passed_at")
    list_filter = ("passed_at",)


@admin.register(models.CourseFeedback)
class CourseFeedbackAdmin(UserCourseAdmin):
    list_display = ("id", "user", "course", "rating", "short_comment", "modified")
    list_filter = ("rating",)
    readonly_fields = ("created", "modified")

    @admin.display(description=_("comment"))
    def short_comment(self, obj) -> str:
        return obj.comment if len(obj.comment) <= 80 else obj.comment[:79] + "…"


@admin.register(models.SubsectionGrade)
class SubsectionGradeAdmin(UserCourseAdmin):
    list_display = ("id", "user", "course", "subsection_id", "title", "percent", "modified")
