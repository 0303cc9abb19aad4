"""Read, grant and revoke data-sharing consent for (user, customer, course).

Everyone reads what their role allows (staff with the view permission all, a customer's
administrators that customer's, a learner their own). Granting and revoking is the learner's own
answer, for a customer they are linked to; staff with the add and change permissions of consents
may record it on a learner's behalf (docs/decisions/0052, 0155).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from consent.api.v1.filters import ConsentFilter
from consent.api.v1.serializers import ConsentAnswerSerializer, ConsentSerializer
from consent.exceptions import NotALearner
from consent.models import DataSharingConsent
from consent.services import record_consent, record_learner_consent
from enterprise.api.v1.pagination import NewestFirstPagination
from enterprise.api.v1.permissions import ModelPermissions, administered_customer_ids, is_staff
from enterprise.models import EnterpriseCustomer


class ConsentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConsentSerializer
    permission_classes = [ModelPermissions]
    permission_model = DataSharingConsent
    # a grant or revoke creates the consent or changes it (the admin's add and change pages)
    action_permissions = dict.fromkeys(
        ("grant", "revoke"), ("consent.add_datasharingconsent", "consent.change_datasharingconsent")
    )
    pagination_class = NewestFirstPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConsentFilter
    throttle_scope = "enterprise"

    def get_queryset(self):
        user = self.request.user
        consents = DataSharingConsent.objects.all()
        if not is_staff(user):
            consents = consents.filter(customer_id__in=administered_customer_ids(user)) | consents.filter(
                user_id=user.pk
            )
        return consents  # the query parameters narrow it (ConsentFilter)

    def _answer(self, request, granted: bool) -> Response:
        serializer = ConsentAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if is_staff(user):  # with the permissions of ``action_permissions``: for anyone, any customer
            if "user_id" in data:
                user = get_object_or_404(get_user_model()._default_manager, pk=data["user_id"])
            customer = get_object_or_404(EnterpriseCustomer, pk=data["customer"])
            consent = record_consent(customer=customer, user=user, course_id=data["course_id"], granted=granted)
        else:
            if "user_id" in data and data["user_id"] != user.pk:
                raise PermissionDenied("Only staff may record another user's consent.")
            try:
                consent = record_learner_consent(
                    user=user, customer_id=data["customer"], course_id=data["course_id"], granted=granted
                )
            except NotALearner as exc:
                raise NotFound() from exc
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
