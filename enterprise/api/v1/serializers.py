"""Serializers of the enterprise API: input validation and output shape, no business logic."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django_countries.serializer_fields import CountryField
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from enterprise.app_settings import enterprise_settings
from enterprise.lms.local import models as lms
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer, Price
from enterprise.services.learner_ids import IdStatus


class CustomerSerializer(serializers.ModelSerializer):
    country = CountryField(required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 code, or empty.")

    class Meta:
        model = EnterpriseCustomer
        fields = [
            "uuid",
            "name",
            "slug",
            "active",
            "country",
            "enable_data_sharing_consent",
            "enforce_data_sharing_consent",
            "created",
            "modified",
        ]
        read_only_fields = ["uuid", "created", "modified"]

    def _by_staff(self) -> bool:
        request = self.context.get("request")
        return request is None or request.user.is_staff

    def get_fields(self):
        fields = super().get_fields()
        if not self._by_staff():
            # A customer's administrator does not change the slug (``validate_slug``): the uniqueness
            # check would confirm the slugs of other customers (decision 0156).
            slug = fields["slug"]
            slug.validators = [v for v in slug.validators if not isinstance(v, UniqueValidator)]
        return fields

    def validate_slug(self, value):
        if not self._by_staff() and (self.instance is None or value != self.instance.slug):
            raise serializers.ValidationError("Only staff may change a customer's slug: ask them.", code="staff_only")
        return value


class LearnerSerializer(serializers.Serializer):
    """A linked or a pending learner of a customer, in one list."""

    id = serializers.IntegerField(help_text="Id of the link (linked) or of the pending learner (pending).")
    status = serializers.ChoiceField(choices=["linked", "pending"])
    email = serializers.EmailField()
    user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    created = serializers.DateTimeField()
    attributes = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The values of the learner fields, built-in (first_name, manager, …) and the customer's own, "
        "by key (as connector imports fill them). Null for pending learners.",
    )


class LearnerPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        allow_null=True,
        help_text="How many learners match `status` and `search`, on the first page only (no `cursor`); "
        "null on the following pages, which keeps every page as cheap as the first.",
    )
    next = serializers.URLField(allow_null=True)
    results = LearnerSerializer(many=True)


class _EmailsOrFile(serializers.Serializer):
    emails = serializers.ListField(
        child=serializers.CharField(max_length=320, allow_blank=True), required=False, allow_empty=False
    )
    file = serializers.FileField(required=False, help_text="A CSV upload, one e-mail address per line.")
    dry_run = serializers.BooleanField(default=False, help_text="Report what would happen; change nothing.")

    def validate_emails(self, value):
        limit = enterprise_settings.MANAGE_LEARNERS_MAX_ROWS
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit:,} addresses per request.", code="too_many")
        return value

    def validate(self, attrs):
        if ("emails" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(
                {"emails": "Give either a list of e-mail addresses or a CSV file, not both."}, code="required"
            )
        return attrs


class BulkLinkSerializer(_EmailsOrFile):
    course_id = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    program_id = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    mode = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    notify = serializers.BooleanField(default=False, help_text="E-mail the enrolled learners.")


class BulkEnrollSerializer(BulkLinkSerializer):
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs.get("course_id") and not attrs.get("program_id"):
            raise serializers.ValidationError({"course_id": "Give a course_id or a program_id."}, code="required")
        return attrs


class BulkUnenrollSerializer(_EmailsOrFile):
    course_id = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    program_id = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if bool(attrs.get("course_id")) == bool(attrs.get("program_id")):
            raise serializers.ValidationError(
                {"course_id": "Give a course_id or a program_id (one of them)."}, code="required"
            )
        return attrs


class BulkUnlinkSerializer(serializers.Serializer):
    emails = serializers.ListField(child=serializers.CharField(max_length=320, allow_blank=True), allow_empty=False)
    dry_run = serializers.BooleanField(default=False)

    validate_emails = _EmailsOrFile.validate_emails


class SapUserIdEntrySerializer(serializers.Serializer):
    email = serializers.CharField(max_length=320, allow_blank=True)
    sap_user_id = serializers.CharField(
        max_length=255, allow_blank=True, trim_whitespace=True, help_text="Empty: clear the learner's SAP user id."
    )


class SapUserIdsSerializer(serializers.Serializer):
    learners = serializers.ListField(child=SapUserIdEntrySerializer(), required=False, allow_empty=False)
    file = serializers.FileField(
        required=False, help_text="A CSV upload: e-mail address, SAP user id (header optional, UTF-8)."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Report what would change; change nothing.")

    def validate_learners(self, value):
        limit = enterprise_settings.MANAGE_LEARNERS_MAX_ROWS
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit:,} learners per request.", code="too_many")
        return value

    def validate(self, attrs):
        if ("learners" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(
                {"learners": "Give either a list of {email, sap_user_id} or a CSV file, not both."}, code="required"
            )
        return attrs


class SapUserIdRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in `learners`, or line of the CSV file.")
    email = serializers.CharField()
    sap_user_id = serializers.CharField(source="value")
    previous = serializers.CharField(help_text="The SAP user id the learner had (rows found only).")
    status = serializers.ChoiceField(choices=[str(status) for status in IdStatus])
    message = serializers.CharField()


class SapUserIdsResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    summary = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = SapUserIdRowSerializer(many=True)


class RowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in `emails`, or line of the CSV file.")
    value = serializers.CharField()
    email = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    enrollment = serializers.CharField()
    enrollment_message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    summary = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    enrollment_counts = serializers.DictField(child=serializers.IntegerField())
    notifications = serializers.IntegerField()
    rows = RowResultSerializer(many=True)


class UnlinkRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    value = serializers.CharField()
    email = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)


class UnlinkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = UnlinkRowSerializer(many=True)


class EnrollmentSerializer(serializers.ModelSerializer):
    customer = serializers.UUIDField(source="learner.customer_id", read_only=True)
    user_id = serializers.IntegerField(source="learner.user_id", read_only=True)

    class Meta:
        model = EnterpriseCourseEnrollment
        fields = [
            "id",
            "customer",
            "user_id",
            "course_id",
            "mode",
            "role",
            "program_id",
            "source",
            "started_by",
            "created",
            "unenrolled_at",
        ]
        read_only_fields = fields


class SelfEnrollmentInputSerializer(serializers.Serializer):
    course_id = serializers.CharField(max_length=255, help_text="A course of the catalog.")
    mode = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: the course's only mode (a course with several modes needs one).",
    )


class SelfEnrollmentResultSerializer(serializers.Serializer):
    course_id = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.CharField(help_text="enrolled, already_enrolled or failed.")
    message = serializers.CharField(allow_blank=True)


class CourseModeSerializer(serializers.ModelSerializer):
    class Meta:
        model = lms.CourseMode
        fields = ["mode", "name", "price"]


class ProviderCourseSerializer(serializers.Serializer):
    """What a course from a content provider adds (decision 0240); null for the LMS's own courses."""

    provider = serializers.CharField(read_only=True)
    provider_id = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    library = serializers.CharField(read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    launch_url = serializers.CharField(read_only=True)
    last_seen = serializers.DateTimeField(read_only=True)
    retired = serializers.BooleanField(read_only=True)


class CourseSerializer(serializers.ModelSerializer):
    modes = CourseModeSerializer(many=True, read_only=True)
    provider = ProviderCourseSerializer(source="provider_course", read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField(help_text="The provider's tags (custom tags are the customer's own).")

    class Meta:
        model = lms.Course
        fields = ["course_id", "title", "description", "pacing", "start", "end", "modes", "provider", "tags"]

    def get_tags(self, course) -> list[str]:
        if not hasattr(course, "tags"):  # enterprise.lms.content not installed: no provider courses
            return []
        return sorted((tag.name for tag in course.tags.all() if tag.customer_id is None), key=str.casefold)


class ProgramSerializer(serializers.ModelSerializer):
    course_ids = serializers.SerializerMethodField()

    class Meta:
        model = lms.Program
        fields = ["program_id", "title", "course_ids"]

    def get_course_ids(self, program) -> list[str]:
        return [link.course.course_id for link in program.program_courses.all()]


class _CompletionInput(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)
    course_id = serializers.CharField(max_length=255)

    def validate_user_id(self, value):
        if not get_user_model()._default_manager.filter(pk=value).exists():
            raise serializers.ValidationError("No such user.", code="user_not_found")
        return value

    def validate_course_id(self, value):
        course = lms.Course.objects.filter(course_id=value).first()
        if course is None:
            raise serializers.ValidationError("No such course.", code="course_not_found")
        self.context["course"] = course
        return value


class CertificateInputSerializer(_CompletionInput):
    grade = serializers.CharField(max_length=32)
    issued_at = serializers.DateTimeField()


class GradeInputSerializer(_CompletionInput):
    percent = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)
    passed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CompletionResultSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    course_id = serializers.CharField()
    created = serializers.BooleanField(help_text="False when an existing record was updated.")


class CourseFeedbackInputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1, help_text="The learner (a user linked to the customer).")
    course_id = serializers.CharField(max_length=255, help_text="A course the learner is enrolled in.")
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text="Stars, from 1 to 5.")
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class CourseFeedbackResultSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    course_id = serializers.CharField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    created = serializers.BooleanField(help_text="False when the learner's earlier feedback was replaced.")


class CourseFeedbackSerializer(serializers.ModelSerializer):
    course_id = serializers.CharField(source="course.course_id")

    class Meta:
        model = lms.CourseFeedback
        fields = ["user_id", "course_id", "rating", "comment", "created", "modified"]


class PriceSerializer(serializers.ModelSerializer):
    """A price; ``customer`` empty is the default price (staff only)."""

    customer = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=EnterpriseCustomer.objects.none(),
        allow_null=True,
        required=False,
        help_text="UUID of the customer; null for the default price of every customer without its own.",
        # another customer's UUID answers like a missing one, without echoing it (decision 0156)
        error_messages={"does_not_exist": "No such customer.", "invalid": "No such customer."},
    )
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD, EUR, JPY.")

    class Meta:
        model = Price
        fields = ["id", "customer", "content_type", "content_id", "amount", "currency", "created", "modified"]
        read_only_fields = ["id", "created", "modified"]
        validators = []  # the model's constraints, conditional ones included, are checked in ``validate``

    def get_fields(self):
        from enterprise.api.v1.permissions import customers_visible_to

        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["customer"].queryset = customers_visible_to(request.user)
        return fields

    def validate(self, attrs):
        request = self.context.get("request")
        merged = {**({} if self.instance is None else self._current()), **attrs}
        if merged.get("customer") is None and request is not None and not request.user.is_staff:
            raise serializers.ValidationError(
                {"customer": "Only staff set default prices: name your customer."}, code="staff_only"
            )
        candidate = Price(pk=getattr(self.instance, "pk", None), **merged)
        candidate._state.adding = self.instance is None
        try:
            candidate.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        attrs["content_id"] = candidate.content_id  # a program UUID in its canonical form
        return attrs

    def _current(self) -> dict:
        return {
            name: getattr(self.instance, name)
            for name in ("customer", "content_type", "content_id", "amount", "currency")
        }
