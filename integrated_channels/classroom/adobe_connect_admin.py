"""Admin of Adobe Connect: its connections, and each session's "Attendance & Scoring" report.

The report (a read-only page per session, the ``SessionScoring`` proxy) has the three views the
seed lists: "Attendance & Scoring" (each learner's attended time, share of the scheduled time,
final quiz score and whether the session's rule is met), "By User" (the final score as points of
the maximum and as a percentage) and "By Question" (per question: answers, correct answers and
the share correct, drawn as bars). Each is read in one query.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from integrated_channels.classroom.adobe_connect_models import (
    AdobeConnectConnection,
    QuizAnswer,
    QuizResult,
    SessionScoring,
)
from integrated_channels.classroom.models import Attendance
from integrated_channels.classroom.services.attendance import meets_rule
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin

HUNDRED = Decimal(100)


@admin.register(AdobeConnectConnection)
class AdobeConnectConnectionAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "domain", "login", "modified")
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Account"), {"fields": ("domain", "login", "password")}),
        (_("Dynamic rooms"), {"fields": ("folder_sco_id", "template_sco_id")}),
        (_("Addresses"), {"fields": ("api_url",), "classes": ("collapse",)}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )


def scoring(session) -> dict:
    """The three tables of a session's report."""
    scheduled = session.scheduled_minutes
    results = {r.user_id: r for r in QuizResult.objects.filter(session=session).select_related("user")}
    attendance = []
    for row in Attendance.objects.filter(session=session).select_related("user").order_by("user__email"):
        share = (row.minutes * HUNDRED / scheduled).quantize(Decimal("0.1")) if scheduled > 0 else Decimal(0)
        attendance.append(
            {
                "user": row.user,
                "minutes": row.minutes,
                "share": share,
                "quiz_percent": row.quiz_percent,
                "manual": row.source == Attendance.Source.MANUAL,
                "met": meets_rule(
                    minutes=row.minutes,
                    quiz_percent=row.quiz_percent,
                    scheduled_minutes=scheduled,
                    min_attendance=session.min_attendance_percent,
                    min_quiz=session.min_quiz_percent,
                ),
            }
        )
    questions = (
        QuizAnswer.objects.filter(session=session)
        .values("question_number")
        .annotate(answers=Count("pk"), correct=Count("pk", filter=Q(points__gt=0)), average=Avg("points"))
        .order_by("question_number")
    )
    texts = _first_texts(session)
    by_question = [
        {
            **q,
            "question": texts.get(q["question_number"], ""),
            "share": round(q["correct"] * 100 / q["answers"]) if q["answers"] else 0,
        }
        for q in questions
    ]
    return {
        "attendance": attendance,
        "by_user": sorted(results.values(), key=lambda r: (-r.percent, r.user.email)),
        "by_question": by_question,
    }


def _first_texts(session) -> dict[int, str]:
    texts: dict[int, str] = {}
    for number, question in (
        QuizAnswer.objects.filter(session=session)
        .order_by("question_number", "pk")
        .values_list("question_number", "question")
    ):
        texts.setdefault(number, question)
    return texts


@admin.register(SessionScoring)
class SessionScoringAdmin(admin.ModelAdmin):
    list_display = ("title", "course_id", "customer", "start", "status", "learners", "quiz_takers", "average_score")
    list_filter = ("status",)
    search_fields = ("title", "course_id", "room_id")
    list_select_related = ("customer",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                learners_count=Count("attendances", distinct=True),
                takers_count=Count("quiz_results", distinct=True),
                average_percent=Avg("quiz_results__percent"),
            )
        )

    @admin.display(description=_("learners attended"), ordering="learners_count")
    def learners(self, obj):
        return obj.learners_count

    @admin.display(description=_("quiz takers"), ordering="takers_count")
    def quiz_takers(self, obj):
        return obj.takers_count

    @admin.display(description=_("average score (%)"), ordering="average_percent")
    def average_score(self, obj):
        return "" if obj.average_percent is None else f"{obj.average_percent:.1f}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET" or not self.has_view_permission(request):
            raise PermissionDenied  # a report: nothing on it can be changed
        session = get_object_or_404(SessionScoring.objects.select_related("customer"), pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Attendance & Scoring: %(session)s") % {"session": session.title},
            "opts": self.model._meta,
            "session": session,
            "session_url": reverse("admin:classroom_session_change", args=[session.pk]),
            **scoring(session),
        }
        return TemplateResponse(request, "admin/classroom/session_scoring.html", context)
