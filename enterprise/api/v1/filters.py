"""Query-parameter filters of the REST API (django-filter), one FilterSet per list (decision 0475).

A FilterSet only narrows the queryset its view's ``get_queryset`` scoped to the user: the
customers visible to them are decided there, never here. An empty parameter is no filter; a
malformed one is a 400 naming it (``{"customer": ["Not a valid UUID."]}``), as the hand-written
filters answered before. drf-spectacular documents each parameter from its filter.
"""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from enterprise.lms.local import models as lms
from enterprise.models import EnterpriseCourseEnrollment, Price
from enterprise.models.price import PricedContent


class IdField(forms.CharField):
    """A database id given as digits only (``-1``, ``1.0``, `` 1`` are refused, not read as numbers)."""

    default_error_messages = {"invalid": "Not an id."}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not value.isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class IdFilter(filters.Filter):
    """An exact match on a whole-number id (``IdField``)."""

    field_class = IdField


def id_filter(*, invalid: str, description: str, **kwargs) -> IdFilter:
    """An ``IdFilter`` whose 400 says ``invalid``, documented as an integer (not the model field's type)."""
    made = IdFilter(error_messages={"invalid": invalid}, **kwargs)
    return extend_schema_field({"type": "integer", "description": description})(made)


def customer_filter(field_name: str = "customer_id", **kwargs) -> filters.UUIDFilter:
    """The ``customer`` parameter every list takes: one customer's UUID, else 400 "Not a valid UUID."."""
    kwargs.setdefault("help_text", "Only this customer's objects (among those visible to you).")
    return filters.UUIDFilter(field_name=field_name, error_messages={"invalid": "Not a valid UUID."}, **kwargs)


class EnrollmentFilter(filters.FilterSet):
    customer = customer_filter("learner__customer_id", help_text="Only this customer's enrollments.")
    course_id = filters.CharFilter(help_text="Only enrollments in this course (its course key).")
    program_id = filters.CharFilter(help_text="Only enrollments made through this program.")

    class Meta:
        model = EnterpriseCourseEnrollment
        fields = ["customer", "course_id", "program_id"]


class PriceFilter(filters.FilterSet):
    customer = customer_filter(help_text="Only this customer's prices.")
    # any value filters (an unknown one matches nothing, no 400), as before; the schema names the two known
    content_type = extend_schema_field(
        {"type": "string", "enum": PricedContent.values, "description": "Only prices of courses or of programs."}
    )(filters.CharFilter())
    content_id = filters.CharFilter(help_text="Only the prices of this course or program id.")

    class Meta:
        model = Price
        fields = ["customer", "content_type", "content_id"]


class CourseFeedbackFilter(filters.FilterSet):
    course_id = filters.CharFilter(field_name="course__course_id", help_text="Only the feedback on this course.")

    class Meta:
        model = lms.CourseFeedback
        fields = ["course_id"]
