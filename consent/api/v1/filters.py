"""Query-parameter filters of the consent API (django-filter; decision 0475): they narrow the
consents ``ConsentViewSet.get_queryset`` lets the user read."""

from __future__ import annotations

from django_filters import rest_framework as filters

from consent.models import DataSharingConsent
from enterprise.api.v1.filters import customer_filter, id_filter


class ConsentFilter(filters.FilterSet):
    customer = customer_filter(help_text="Only consents given to this customer.")
    course_id = filters.CharFilter(help_text="Only consents for this course (its course key).")
    user_id = id_filter(invalid="Not a user id.", description="Only this user's consents.")

    class Meta:
        model = DataSharingConsent
        fields = ["customer", "course_id", "user_id"]
