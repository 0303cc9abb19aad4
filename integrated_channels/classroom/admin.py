"""Admin of virtual classrooms: Zoom connections, sessions with their registrations and attendance.

Thin over the services: saving a session that learners must hear about (time, time zone, title,
join link) re-sends their invitation (``session_changed``); an attendance row edited here is a
manual correction (``correct_attendance``: who, when, note), never overwritten by the provider.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.classroom.exceptions import SessionNotOpen
from integrated_channels.classroom.models import Attendance, Registration, Session, ZoomConnection
from integrated_channels.classroom.services.attendance import correct_attendance
from integrated_channels.classroom.services.registration import (
    cancel_session,
    fill_free_seats,
    register_enrolled_learners,
    session_changed,
)
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin

ANNOUNCED_FIELDS = ("title", "start", "end", "time_zone", "join_url")


@admin.register(ZoomConnection)
class ZoomConnectionAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "host_user", "modified")
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Server-to-Server OAuth app"), {"fields": ("account_id", "client_id", "client_secret")}),
        (_("Meetings"), {"fields": ("host_user", "registration_required")}),
        (_("Addresses"), {"fields": ("api_url", "token_url"), "classes": ("collapse",)}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("user", "status", "provider_registrant_id", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ("user", "minutes", "quiz_percent", "correction_note", "source", "corrected_by", "corrected_at")
    readonly_fields = ("source", "corrected_by", "corrected_at")
    raw_id_fields = ("user",)
    extra = 0
    verbose_name_plural = _("Attendance (a row saved here is recorded as a manual correction)")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "course_id", "customer", "start", "time_zone", "status", "capacity", "room_id")
    list_filter = ("status", "room_kind")
    search_fields = ("title", "course_id", "room_id")
    raw_id_fields = ("customer", "connection", "instructors")
    readonly_fields = ("uuid", "sequence", "attendance_synced_at", "created", "modified")
    inlines = [RegistrationInline, AttendanceInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["register_learners", "cancel_sessions"]
    fieldsets = (
        (None, {"fields": ("customer", "course_id", "title", "instructors", "status")}),
        (_("When"), {"fields": ("start", "end", "time_zone")}),
        (_("Room"), {"fields": ("connection", "room_kind", "room_id", "join_url")}),
        (_("Recording"), {"fields": ("recording_url", "recording_passcode")}),
        (_("Seats"), {"fields": ("capacity",)}),
        (_("Completion rule"), {"fields": ("min_attendance_percent", "min_quiz_percent")}),
        (_("History"), {"fields": readonly_fields, "classes": ("collapse",)}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and obj.is_open and set(form.changed_data) & set(ANNOUNCED_FIELDS):
            sent = session_changed(session=obj)
            self.message_user(request, _("The updated invitation was sent to %(n)d learners.") % {"n": sent})
        elif change and obj.is_open and "capacity" in form.changed_data:
            promoted = fill_free_seats(session=obj)
            self.message_user(request, _("%(n)d waitlisted learners got a seat.") % {"n": len(promoted)})

    def save_formset(self, request, form, formset, change):
        if formset.model is not Attendance:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # the change message
        for row in formset.forms:
            if not row.has_changed() or row in formset.deleted_forms or not row.cleaned_data:
                continue
            data = row.cleaned_data
            attendance = correct_attendance(
                session=form.instance,
                user_id=data["user"].pk,
                minutes=data["minutes"],
                quiz_percent=data.get("quiz_percent"),
                corrected_by=request.user,
                note=data.get("correction_note", ""),
            )
            formset.changed_objects.append((attendance, ["minutes", "quiz_percent", "correction_note"]))
        for row in formset.deleted_forms:
            if row.instance.pk:
                formset.deleted_objects.append(row.instance)
                row.instance.delete()

    @admin.action(description=_("Register the learners enrolled in the course"), permissions=["change"])
    def register_learners(self, request, queryset):
        for session in queryset:
            try:
                result = register_enrolled_learners(session=session)
            except SessionNotOpen as error:
                self.message_user(request, str(error), messages.WARNING)
                continue
            self.message_user(
                request,
                _("%(session)s: %(registered)d registered, %(waitlisted)d waitlisted.")
                % {"session": session, "registered": len(result.registered), "waitlisted": len(result.waitlisted)},
            )

    @admin.action(description=_("Cancel the sessions (learners receive the cancellation)"), permissions=["change"])
    def cancel_sessions(self, request, queryset):
        for session in queryset.filter(status=Session.Status.SCHEDULED):
            told = cancel_session(session=session)
            self.message_user(
                request, _("%(session)s cancelled; %(n)d learners told.") % {"session": session, "n": told}
            )


# Adobe Connect's connection and the sessions' Attendance & Scoring report (their own module).
# Microsoft Teams' connection too.
from integrated_channels.classroom import adobe_connect_admin, teams_admin  # noqa: E402, F401
