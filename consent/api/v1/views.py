"""Read, grant and revoke data-sharing consent for (user, customer, course).

Everyone reads what their role allows (staff all, a customer's administrators that customer's,
a learner their own). Granting and revoking is the learner's own answer, for a customer they are
linked to; staff may record it on a learner's behalf (docs/decisions/0052).
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from consent.api.v1.serializers import ConsentAnswerSerializer, ConsentSerializer
from consent.models import DataSharingConsent
from consent.services import record_consent
from enterprise.api.v1.pagination import NewestFirstPagination
from enterprise.api.v1.permissions import administered_customer_ids, is_staff
from enterprise.models import EnterpriseCustomer


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.UUID),
            OpenApiParameter("course_id", str),
            OpenApiParameter("user_id", int),
        ]
    )
)
class ConsentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConsentSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = NewestFirstPagination
    throttle_scope = "enterprise"

    def get_queryset(self):
        user = self.request.user
        consents = DataSharingConsent.objects.all()
        if not is_staff(user):
            consents = consents.filter(customer_id__in=administered_customer_ids(user)) | consents.filter(
                user_id=user.pk
            )
        params = self.request.query_params
        if params.get("customer"):
            try:
                consents = consents.filter(customer_id=uuid.UUID(params["customer"]))
            except ValueError as exc:
                raise ValidationError({"customer": "Not a valid UUID."}, code="invalid") from exc
        if params.get("course_id"):
            consents = consents.filter(course_id=params["course_id"])
        if params.get("user_id"):
            if not params["user_id"].isdigit():
                raise ValidationError({"user_id": "Not a user id."}, code="invalid")
            consents = consents.filter(user_id=int(params["user_id"]))
        return consents

    def _answer(self, request, granted: bool) -> Response:
        serializer = ConsentAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if "user_id" in data and data["user_id"] != user.pk:
            if not is_staff(user):
                raise PermissionDenied("Only staff may record another user's consent.")
            user = get_object_or_404(get_user_model()._default_manager, pk=data["user_id"])
        customers = EnterpriseCustomer.objects.all()
        if not is_staff(request.user):
            customers = customers.filter(learners__user_id=user.pk, learners__linked=True)
        customer = get_object_or_404(customers, pk=data["customer"])
        consent = record_consent(customer=customer, user=user, course_id=data["course_id"], granted=granted)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_200_OK)

    @extend_schema(request=ConsentAnswerSerializer, responses=ConsentSerializer)
    @action(detail=False, methods=["post"])
    def grant(self, request):
        """Grant data-sharing consent to a customer for a course (history kept)."""
        return self._answer(request, True)

    @extend_schema(request=ConsentAnswerSerializer, responses=ConsentSerializer)
    @action(detail=False, methods=["post"])
    def revoke(self, request):
        """Revoke (or decline) data-sharing consent to a customer for a course."""
        return self._answer(request, False)
