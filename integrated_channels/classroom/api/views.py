"""Views of the sessions API: a customer's virtual-classroom sessions, their registrations and attendance.

Under ``customers/<uuid>/`` as the enterprise API's customer views: staff act through the
classroom models' permissions, as in the admin (view / add / change ``session``; ``attendance``
for corrections); a customer's administrators act on their customers' sessions; everyone else,
and another customer's administrators, get 404 (decision 0361). The views parse input, call the
services the admin calls (``register_enrolled_learners``, ``session_changed``, ``cancel_session``,
``correct_attendance``) and render.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from enterprise.api.v1.errors import error
from enterprise.api.v1.pagination import NewestFirstPagination
from enterprise.api.v1.views import CustomerScopedMixin
from enterprise.models import EnterpriseCustomerUser
from integrated_channels.classroom.api import serializers as s
from integrated_channels.classroom.exceptions import SessionNotOpen
from integrated_channels.classroom.models import Attendance, Registration, Session
from integrated_channels.classroom.services.attendance import correct_attendance, record_session_completions
from integrated_channels.classroom.services.registration import (
    cancel_session,
    fill_free_seats,
    register_enrolled_learners,
    session_changed,
)

#: Changes the registered learners hear about (an updated invitation, a higher SEQUENCE).
ANNOUNCED_FIELDS = ("title", "start", "end", "time_zone", "join_url")


class SessionPagination(NewestFirstPagination):
    ordering = ("-start", "-pk")


class RegistrationPagination(NewestFirstPagination):
    ordering = ("created", "pk")  # the waitlist's order


class AttendancePagination(NewestFirstPagination):
    ordering = ("pk",)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Session.Status.values),
            OpenApiParameter("course_id", str),
        ]
    )
)
class SessionViewSet(
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A customer's virtual-classroom sessions, newest first; creating one registers the learners enrolled."""

    queryset = Session.objects.none()  # the schema's model; ``get_queryset`` scopes by customer
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.SessionSerializer
    pagination_class = SessionPagination
    permission_model = Session
    throttle_scope = "enterprise"
    action_permissions = {
        "cancel": ["classroom.change_session"],  # the admin's "Cancel the sessions" action
        "registrations": ["classroom.view_registration"],
        "attendance": ["classroom.view_attendance"],
        "correct_attendance": ["classroom.add_attendance", "classroom.change_attendance"],
    }

    def get_queryset(self):
        sessions = (
            Session.objects.filter(customer=self.get_customer())
            .select_related("connection")
            .prefetch_related("instructors")
            .annotate(
                registered=Count("registrations", filter=Q(registrations__status=Registration.Status.REGISTERED)),
                waitlisted=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)),
            )
        )
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in Session.Status.values:
                raise ValidationError({"status": "Not a session status."}, code="invalid_choice")
            sessions = sessions.filter(status=params["status"])
        if params.get("course_id"):
            sessions = sessions.filter(course_id=params["course_id"])
        return sessions

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "customer": self.get_customer()}

    def _fresh(self, session: Session) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=session.pk)).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            session = serializer.save(customer=self.get_customer())
        register_enrolled_learners(session=session)
        return Response(self._fresh(session), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        session = self.get_object()
        if not session.is_open:
            return _not_open(session)
        serializer = self.get_serializer(session, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changed = {name for name, value in serializer.validated_data.items() if getattr(session, name) != value}
        session = serializer.save()
        if changed & set(ANNOUNCED_FIELDS):
            session_changed(session=session)  # re-invites, and seats the waitlist if the capacity grew
        elif "capacity" in changed:
            fill_free_seats(session=session)
        return Response(self._fresh(session))

    @extend_schema(request=None, responses={200: s.CancelResultSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request, customer_uuid, pk=None):
        """Cancel the session: the registered learners are sent the cancellation (METHOD:CANCEL)."""
        session = self.get_object()
        try:
            told = cancel_session(session=session)
        except SessionNotOpen:
            return _not_open(session)
        return Response(s.CancelResultSerializer({"status": Session.Status.CANCELLED, "told": told}).data)

    @extend_schema(responses=s.RegistrationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=RegistrationPagination)
    def registrations(self, request, customer_uuid, pk=None):
        """The session's registrations in waitlist order: registered, waitlisted and cancelled."""
        session = self.get_object()
        rows = Registration.objects.filter(session=session).select_related("user", "session")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.RegistrationSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=s.AttendanceSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=s.AttendanceCorrectionSerializer,
        responses={200: s.AttendanceSerializer, 201: s.AttendanceSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=AttendancePagination)
    def attendance(self, request, customer_uuid, pk=None):
        """GET: the session's attendance. POST: correct one learner's, by hand (recorded as such: who, when, note).

        A corrected row is never overwritten by a later provider report; the session's completions are
        recomputed at once (a pass already recorded stays).
        """
        session = self.get_object()
        if request.method == "POST":
            return self.correct_attendance(request, session)
        rows = Attendance.objects.filter(session=session).select_related("user", "corrected_by", "session")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.AttendanceSerializer(page, many=True).data)

    def correct_attendance(self, request, session: Session) -> Response:
        self.action = "correct_attendance"
        self.check_permissions(request)  # the correction needs the attendance permissions
        serializer = s.AttendanceCorrectionSerializer(data=request.data, context={"session": session})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        learners = EnterpriseCustomerUser.objects.filter(customer_id=session.customer_id, linked=True)
        if "email" in data:
            learners = learners.annotate(email_lower=Lower("user__email")).filter(email_lower=data["email"].lower())
            field = "email"
        else:
            learners = learners.filter(user_id=data["user_id"])
            field = "user_id"
        user_ids = list(learners.values_list("user_id", flat=True)[:2])
        if len(user_ids) != 1:
            message = "Not a learner of this customer." if not user_ids else "Several learners have this address."
            code = "not_a_learner" if not user_ids else "ambiguous"
            return Response({"errors": [error(message, code=code, field=field)]}, status=status.HTTP_400_BAD_REQUEST)
        existed = Attendance.objects.filter(session=session, user_id=user_ids[0]).exists()
        with transaction.atomic():
            attendance = correct_attendance(
                session=session,
                user_id=user_ids[0],
                minutes=data["minutes"],
                quiz_percent=data.get("quiz_percent"),
                corrected_by=request.user,
                note=data["note"],
            )
            record_session_completions(sessions=Session.objects.filter(pk=session.pk))
        attendance = Attendance.objects.select_related("user", "corrected_by", "session").get(pk=attendance.pk)
        return Response(
            s.AttendanceSerializer(attendance).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


def _not_open(session: Session) -> Response:
    message = f"The session is {session.get_status_display().lower()}: it can no longer be changed."
    return Response({"errors": [error(message, code="session_not_open")]}, status=status.HTTP_409_CONFLICT)
