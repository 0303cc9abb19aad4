"""Views of the enterprise API: parse input, call one service, render. Scoping in ``permissions``."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from enterprise.api.v1 import serializers as s
from enterprise.api.v1.errors import error
from enterprise.api.v1.filters import CourseFeedbackFilter, EnrollmentFilter, PriceFilter
from enterprise.api.v1.pagination import CatalogPagination, NewestFirstPagination, ProgramPagination
from enterprise.api.v1.permissions import (
    ModelPermissions,
    StaffModelPermissions,
    administered_customer_ids,
    customers_visible_to,
    is_staff,
)
from enterprise.lms.local import models as lms
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer, EnterpriseCustomerUser, Price
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services import completions, learner_ids
from enterprise.services.all_learners import learners_page
from enterprise.services.bulk_link import RowStatus
from enterprise.services.bulk_unlink import unlink_learners
from enterprise.services.feedback import record_course_feedback
from enterprise.services.manage_learners import link_learner, link_learners, link_learners_from_csv
from enterprise.services.unenrollment import unenroll_learners, unenroll_learners_from_csv
from enterprise.uploads import refused_upload


class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Enterprise customers: staff see all, a customer's administrators only theirs."""

    serializer_class = s.CustomerSerializer
    permission_classes = [ModelPermissions]
    permission_model = EnterpriseCustomer
    pagination_class = NewestFirstPagination
    lookup_field = "uuid"
    throttle_scope = "enterprise"

    def get_queryset(self):
        return customers_visible_to(self.request.user)


class CustomerScopedMixin:
    """Views under ``customers/<uuid>/``: the customer must be visible to the user, else 404.

    Staff need the permissions of ``action_permissions`` (checked before the customer is looked up).
    """

    permission_classes = [ModelPermissions]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.get_customer()  # before any input is looked at: another customer's URL is a 404

    def get_customer(self):
        if not hasattr(self, "_customer"):
            self._customer = get_object_or_404(
                customers_visible_to(self.request.user), uuid=self.kwargs["customer_uuid"]
            )
        return self._customer


def _bulk_response(result) -> Response:
    rows = [
        {
            "row": row.line,  # the line of the file, or the position in `emails`
            "value": row.value,
            "email": row.email,
            "status": str(row.status or ""),
            "message": row.message,
            "user_id": row.user_id,
            "enrollment": str(row.enrollment or ""),
            "enrollment_message": row.enrollment_message,
        }
        for row in result.rows
        if row.status != RowStatus.HEADER
    ]
    if result.refused:
        errors = [
            error(row["message"] or "Invalid address.", code="invalid_email", field="emails", row=row["row"])
            for row in rows
            if row["status"] == RowStatus.INVALID
        ]
        return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    body = {
        "dry_run": result.dry_run,
        "applied": result.applied,
        "summary": result.summary(),
        "counts": {str(k): v for k, v in result.counts.items() if k != RowStatus.HEADER},
        "enrollment_counts": {str(k): v for k, v in result.enrollment_counts.items()},
        "notifications": result.notifications,
        "rows": rows,
    }
    return Response(s.BulkResultSerializer(body).data)


class LearnerListView(CustomerScopedMixin, GenericAPIView):
    """The learners of a customer: linked and pending in one list, newest first, with a status."""

    serializer_class = s.LearnerPageSerializer
    throttle_scope = "enterprise"
    permission_model = EnterpriseCustomerUser
    # the admin's lists of linked and of pending learners
    action_permissions = {
        "GET": ["enterprise.view_enterprisecustomeruser", "enterprise.view_pendingenterprisecustomeruser"],
        "HEAD": ["enterprise.view_enterprisecustomeruser", "enterprise.view_pendingenterprisecustomeruser"],
    }

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["linked", "pending"], description="Only linked or pending."),
            OpenApiParameter("search", str, description="An e-mail address, a user id or a username prefix."),
            OpenApiParameter("cursor", str, description="The position given by `next`."),
            OpenApiParameter("page_size", int, description="1 to 500 (default 50)."),
        ],
        responses=s.LearnerPageSerializer,
    )
    def get(self, request, customer_uuid):
        """Newest first. ``status`` = linked | pending; ``search``: an e-mail, a user id or a prefix.

        ``count`` is given on the first page only (no ``cursor``), null on the following ones.
        """
        wanted = request.query_params.get("status", "")
        if wanted not in ("", "linked", "pending"):
            raise ValidationError({"status": "Use linked or pending."}, code="invalid_choice")
        page = learners_page(
            customer=self.get_customer(),
            status=wanted,
            search=request.query_params.get("search", ""),
            cursor=request.query_params.get("cursor", ""),
            size=_page_size(request),
        )
        next_url = None
        if page.next_cursor:
            next_url = request.build_absolute_uri(request.path + "?" + _query_with(request, cursor=page.next_cursor))
        # Rendered as plain dicts: a serializer per row costs more than the two queries of the page
        # (decision 0111); LearnerPageSerializer documents this shape in the schema.
        zone = timezone.get_current_timezone()  # once a page, not once a row
        results = [
            {
                "id": entry.id,
                "status": entry.status,
                "email": entry.email,
                "user_id": entry.user_id,
                "username": entry.username,
                "active": entry.active,
                "created": _iso(entry.created, zone),
                "attributes": entry.attributes,
            }
            for entry in page.items
        ]
        return Response({"count": page.total, "next": next_url, "results": results})


def _iso(value, zone=None) -> str:
    """A datetime as DRF's ``DateTimeField`` writes it: ISO 8601 in the current time zone (or ``zone``),
    ``Z`` for UTC."""
    text = timezone.localtime(value, zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class LearnerViewSet(CustomerScopedMixin, viewsets.GenericViewSet):
    """The bulk flows on a customer's learners: link, enroll, unenroll, unlink (per-row results)."""

    serializer_class = s.BulkResultSerializer
    throttle_scope = "enterprise_bulk"
    permission_model = EnterpriseCustomer  # any other method: 403 without the customer's permission, else 405
    # the admin's Manage Learners page needs the change permission of the customer
    action_permissions = dict.fromkeys(
        ("link", "enroll", "unenroll", "unlink", "sap_user_ids"), ("enterprise.change_enterprisecustomer",)
    )

    def _submit(self, serializer_class, request, **target):
        payload = request.data  # parsing stops an oversized upload (enterprise.uploads)
        if (refusal := refused_upload(request)) is not None:
            raise refusal
        serializer = serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        options = {
            "customer": self.get_customer(),
            "dry_run": data["dry_run"],
            "course_id": data.get("course_id", ""),
            "program_id": data.get("program_id", ""),
            "mode": data.get("mode", ""),
            "notify": data.get("notify", False),
            "source": EnrollmentSource.API,
            "disclose_other_customers": is_staff(request.user),
        }
        if "file" in data:
            return _bulk_response(link_learners_from_csv(file=data["file"], **options))
        return _bulk_response(link_learners(emails=data["emails"], **options))

    @extend_schema(
        request={"application/json": s.BulkLinkSerializer, "multipart/form-data": s.BulkLinkSerializer},
        responses=s.BulkResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="link")
    def link(self, request, customer_uuid):
        """Link learners (JSON ``emails`` or a CSV ``file``), optionally enroll and notify them."""
        return self._submit(s.BulkLinkSerializer, request)

    @extend_schema(
        request={"application/json": s.BulkEnrollSerializer, "multipart/form-data": s.BulkEnrollSerializer},
        responses=s.BulkResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="enroll")
    def enroll(self, request, customer_uuid):
        """Link and enroll learners in a course or a program, with per-row results."""
        return self._submit(s.BulkEnrollSerializer, request)

    @extend_schema(
        request={"application/json": s.BulkUnenrollSerializer, "multipart/form-data": s.BulkUnenrollSerializer},
        responses=s.BulkResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="unenroll")
    def unenroll(self, request, customer_uuid):
        """Unenroll learners from a course or every course of a program, with per-row results.

        Rows name the learner (``status``: ``already_linked``, ``already_pending``, ``not_a_learner`` …) and
        what happened to the enrollment (``enrollment``: ``unenrolled``, ``already_unenrolled``,
        ``not_enrolled``, ``pending_enrollment_removed``, ``unenrollment_failed``).
        """
        serializer = s.BulkUnenrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        options = {
            "customer": self.get_customer(),
            "dry_run": data["dry_run"],
            "course_id": data["course_id"],
            "program_id": data["program_id"],
        }
        if "file" in data:
            return _bulk_response(unenroll_learners_from_csv(file=data["file"], **options))
        return _bulk_response(unenroll_learners(emails=data["emails"], **options))

    @extend_schema(request=s.BulkUnlinkSerializer, responses=s.UnlinkResultSerializer)
    @action(detail=False, methods=["post"], url_path="unlink")
    def unlink(self, request, customer_uuid):
        """Unlink learners (linked ones softly, pending ones deleted), with per-row results."""
        serializer = s.BulkUnlinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = unlink_learners(
            customer=self.get_customer(),
            emails=serializer.validated_data["emails"],
            dry_run=serializer.validated_data["dry_run"],
        )
        body = {
            "dry_run": result.dry_run,
            "counts": {str(k): v for k, v in result.counts.items()},
            "rows": [
                {
                    "row": row.row,
                    "value": row.value,
                    "email": row.email,
                    "status": str(row.status),
                    "message": row.message,
                    "user_id": row.user_id,
                }
                for row in result.rows
            ],
        }
        return Response(s.UnlinkResultSerializer(body).data)

    @extend_schema(
        request={"application/json": s.SapUserIdsSerializer, "multipart/form-data": s.SapUserIdsSerializer},
        responses=s.SapUserIdsResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="sap-user-ids")
    def sap_user_ids(self, request, customer_uuid):
        """Set (or, with an empty id, clear) the SAP user ids of linked learners, by e-mail, with per-row results.

        A SAP user id names one learner of the customer: an id another learner keeps, or given twice, is refused
        for that row (``taken``, ``duplicate``); the other rows are applied. Every change is audited.
        """
        payload = request.data
        if (refusal := refused_upload(request)) is not None:
            raise refusal
        serializer = s.SapUserIdsSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        options = {"customer": self.get_customer(), "source": learner_ids.Source.API, "dry_run": data["dry_run"]}
        options["changed_by"] = request.user
        if "file" in data:
            result = learner_ids.set_from_csv(file=data["file"], **options)
        else:
            entries = [(entry["email"], entry["sap_user_id"]) for entry in data["learners"]]
            result = learner_ids.set_by_email(entries=entries, **options)
        body = {
            "dry_run": result.dry_run,
            "summary": result.summary,
            "counts": {str(status): result.count(status) for status in learner_ids.IdStatus if result.count(status)},
            "rows": result.rows,
        }
        return Response(s.SapUserIdsResultSerializer(body).data)


def _page_size(request) -> int | None:
    value = request.query_params.get("page_size", "")
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 500:
        raise ValidationError({"page_size": "A whole number from 1 to 500."}, code="invalid")
    return int(value)


def _query_with(request, **params) -> str:
    query = request.query_params.copy()
    for key, value in params.items():
        query[key] = value
    return query.urlencode()


class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enterprise enrollments: staff see all, administrators their customers', a learner their own."""

    serializer_class = s.EnrollmentSerializer
    permission_classes = [ModelPermissions]
    permission_model = EnterpriseCourseEnrollment
    pagination_class = NewestFirstPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = EnrollmentFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        user = self.request.user
        enrollments = EnterpriseCourseEnrollment.objects.select_related("learner")
        if not is_staff(user):
            enrollments = enrollments.filter(
                learner__customer_id__in=administered_customer_ids(user)
            ) | enrollments.filter(learner__user_id=user.pk)
        return enrollments  # the query parameters narrow it (EnrollmentFilter)


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """The local catalog's courses with their modes (any signed-in user reads)."""

    serializer_class = s.CourseSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CatalogPagination
    lookup_field = "course_id"
    lookup_value_regex = r"[^/]+"
    queryset = lms.Course.objects.prefetch_related("modes")
    throttle_scope = "enterprise"

    def get_queryset(self):
        queryset = super().get_queryset()
        if apps.is_installed("enterprise.lms.content"):  # provider courses (decision 0240)
            queryset = queryset.select_related("provider_course").prefetch_related("tags")
        return queryset


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """The local catalog's programs and the ids of their courses, in order."""

    serializer_class = s.ProgramSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = ProgramPagination
    lookup_field = "program_id"
    queryset = lms.Program.objects.prefetch_related(
        Prefetch("program_courses", queryset=lms.ProgramCourse.objects.select_related("course"))
    )
    throttle_scope = "enterprise"


@extend_schema_view(
    post=extend_schema(
        request=s.CourseFeedbackInputSerializer,
        responses={200: s.CourseFeedbackResultSerializer, 201: s.CourseFeedbackResultSerializer},
    ),
)
class CourseFeedbackView(CustomerScopedMixin, mixins.ListModelMixin, GenericAPIView):
    """The course feedback (star rating 1 to 5, optional comment) of a customer's learners.

    Posting again for the same learner and course replaces it (one per learner per course). The
    learner must be linked to the customer and enrolled in the course. Staff and the customer's
    administrators record and list everyone's; a learner of the customer records and lists their
    own (another user id is refused, 403). The list reads the local LMS's table (where a host LMS
    keeps feedback itself, it lists what was recorded here).
    """

    serializer_class = s.CourseFeedbackSerializer
    queryset = lms.CourseFeedback.objects.none()  # the model, for the schema; get_queryset scopes the rows
    as_learner = False

    def get_customer(self):
        if not hasattr(self, "_customer"):
            user, wanted = self.request.user, self.kwargs["customer_uuid"]
            customer = customers_visible_to(user).filter(uuid=wanted).first()
            if customer is None and not is_staff(user):  # a learner of the customer, for themselves
                customer = EnterpriseCustomer.objects.filter(
                    uuid=wanted, learners__user_id=user.pk, learners__linked=True
                ).first()
                self.as_learner = customer is not None
            if customer is None:
                raise NotFound()
            self._customer = customer
        return self._customer

    permission_model = lms.CourseFeedback
    action_permissions = {"POST": ["lms_local.add_coursefeedback", "lms_local.change_coursefeedback"]}
    pagination_class = NewestFirstPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CourseFeedbackFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        customer = self.get_customer()
        enrolled = EnterpriseCourseEnrollment.objects.filter(
            learner__customer=customer, learner__user_id=OuterRef("user_id"), course_id=OuterRef("course__course_id")
        )
        rows = lms.CourseFeedback.objects.select_related("course").filter(Exists(enrolled))
        if self.as_learner:
            rows = rows.filter(user_id=self.request.user.pk)
        return rows

    def get(self, request, customer_uuid):
        return self.list(request)

    def post(self, request, customer_uuid):
        serializer = s.CourseFeedbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = self.get_customer()
        if self.as_learner and serializer.validated_data["user_id"] != request.user.pk:
            raise PermissionDenied("A learner records their own course feedback only.")
        outcome = record_course_feedback(customer, **serializer.validated_data)
        body = s.CourseFeedbackResultSerializer(outcome).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


@extend_schema(
    request=s.SelfEnrollmentInputSerializer,
    responses={201: s.SelfEnrollmentResultSerializer, 200: s.SelfEnrollmentResultSerializer},
)
class SelfEnrollmentView(APIView):
    """A learner of the customer enrolls themselves in a course (a self-enrollment, decision 0401).

    Only for the requesting user, who must be linked to the customer: staff and the customer's
    administrators get 403 (they enroll others with ``learners/enroll``), anyone else 404, as for a
    customer they cannot see. The enrollment is
    recorded as started by the learner (``started_by`` ``learner``), which Marketo's "self enrollment"
    event sends. 201 when enrolled, 200 when already enrolled; a course or mode the catalog does not
    know is a 400 naming it.
    """

    permission_classes = [IsAuthenticated]
    throttle_scope = "enterprise"

    def post(self, request, customer_uuid):
        customer = EnterpriseCustomer.objects.filter(
            uuid=customer_uuid, learners__user_id=request.user.pk, learners__linked=True
        ).first()
        if customer is None:
            if is_staff(request.user) or customers_visible_to(request.user).filter(uuid=customer_uuid).exists():
                raise PermissionDenied(
                    "Self-enrollment is for the customer's learners; enroll others with learners/enroll."
                )
            raise NotFound()
        serializer = s.SelfEnrollmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = link_learner(
            customer=customer,
            identifier=request.user.get_username(),
            course_id=data["course_id"],
            mode=data["mode"],
            source=EnrollmentSource.API,
            started_by=StartedBy.LEARNER,
            disclose_other_customers=False,
        )
        row = result.rows[0]
        state = str(row.enrollment or "")
        body = {
            "course_id": data["course_id"],
            "mode": result.target.mode,
            "status": state,
            "message": row.enrollment_message or row.message or "",
        }
        if state == "failed":
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED if state == "enrolled" else status.HTTP_200_OK)


class _CompletionView(GenericAPIView):
    """Staff only, with the add and change permissions of the model (a post creates or updates)."""

    permission_classes = [StaffModelPermissions]
    throttle_scope = "enterprise"

    def post(self, request):
        """Record the completion; 201 when new, 200 when an existing one was updated."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("course_id")
        outcome = self.record(course=serializer.context["course"], **data)
        body = s.CompletionResultSerializer(outcome).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


_completion_responses = {200: s.CompletionResultSerializer, 201: s.CompletionResultSerializer}


@extend_schema_view(post=extend_schema(responses=_completion_responses))
class CertificateView(_CompletionView):
    """Record a certificate in the local LMS; posting again for (user, course) updates it."""

    serializer_class = s.CertificateInputSerializer
    record = staticmethod(completions.record_certificate)
    permission_model = lms.Certificate
    action_permissions = {"POST": ["lms_local.add_certificate", "lms_local.change_certificate"]}


@extend_schema_view(post=extend_schema(responses=_completion_responses))
class GradeView(_CompletionView):
    """Record a grade in the local LMS; posting again for (user, course) updates it."""

    serializer_class = s.GradeInputSerializer
    record = staticmethod(completions.record_grade)
    permission_model = lms.Grade
    action_permissions = {"POST": ["lms_local.add_grade", "lms_local.change_grade"]}


class ApiNotFound(APIView):
    """The last URL of each API: an unknown path is a 404 with the API's error body, not HTML."""

    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()


class PriceViewSet(viewsets.ModelViewSet):
    """Prices of courses and programs: staff see and set all (defaults too), a customer's administrators
    their customers' prices (and read the defaults); another customer's prices are not found."""

    serializer_class = s.PriceSerializer
    permission_classes = [ModelPermissions]
    permission_model = Price
    pagination_class = NewestFirstPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = PriceFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        user = self.request.user
        prices = Price.objects.select_related("customer")
        if not is_staff(user):
            mine = prices.filter(customer_id__in=administered_customer_ids(user))
            prices = mine if self.action not in ("list", "retrieve") else mine | prices.filter(customer__isnull=True)
        return prices  # the query parameters narrow it (PriceFilter)
