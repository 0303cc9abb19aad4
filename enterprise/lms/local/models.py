"""Tables of the embedded LMS: courses, modes, programs, enrollments, certificates, grades."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from enterprise.lms.interfaces import INSTRUCTOR_PACED, SELF_PACED
from enterprise.lms.local.images import validate_course_image

course_id_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.:+~-]*$",
    _("A course id holds letters, digits and _ . : + ~ - only, e.g. course-v1:Org+CS101+2027."),
)


class Course(models.Model):
    class Pacing(models.TextChoices):
        INSTRUCTOR = INSTRUCTOR_PACED, _("Instructor-paced")
        SELF = SELF_PACED, _("Self-paced")

    course_id = models.CharField(max_length=255, unique=True, validators=[course_id_validator])
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    pacing = models.CharField(max_length=16, choices=Pacing.choices, default=Pacing.INSTRUCTOR)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    effort_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Estimated total hours of learning; empty when unknown."),
    )
    language = models.CharField(
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", _("A language code, e.g. en or pt-BR."))],
        help_text=_("The language it is taught in (BCP 47, e.g. en, pt-BR); empty when unknown."),
    )
    image = models.FileField(
        upload_to="course-images/",
        max_length=255,
        blank=True,
        validators=[validate_course_image],
        help_text=_("PNG, JPEG or GIF, up to 5 MB: the public catalog and the store show it."),
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=True)
                | models.Q(end__isnull=True)
                | models.Q(end__gte=models.F("start")),
                name="local_course_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(effort_hours__isnull=True) | models.Q(effort_hours__gte=0),
                name="local_course_effort_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.course_id}: {self.title}"


class CourseMode(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modes")
    mode = models.SlugField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["course", "mode"]
        constraints = [models.UniqueConstraint(fields=["course", "mode"], name="local_course_mode_unique")]

    def __str__(self):
        return f"{self.course.course_id} [{self.mode}]"


class CourseSkill(models.Model):
    """A skill the course teaches (name, optional level); completing the course achieves it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=255)
    level = models.CharField(max_length=64, blank=True, help_text=_("Optional, e.g. Beginner or Advanced."))

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint("course", Lower("name"), name="local_course_skill_unique"),
            models.CheckConstraint(condition=~models.Q(name=""), name="local_course_skill_named"),
        ]

    def __str__(self):
        level = f" ({self.level})" if self.level else ""
        return f"{self.name}{level}"

    def clean(self):
        self.name = (self.name or "").strip()
        self.level = (self.level or "").strip()
        if self.course_id and self.name:
            taken = CourseSkill.objects.filter(course_id=self.course_id, name__iexact=self.name).exclude(pk=self.pk)
            if taken.exists():
                raise ValidationError({"name": _("This course already has the skill %(name)s.") % {"name": self.name}})


class Program(models.Model):
    program_id = models.UUIDField(unique=True, default=uuid.uuid4)
    title = models.CharField(max_length=255)
    courses = models.ManyToManyField(Course, through="ProgramCourse", related_name="programs")

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class ProgramCourse(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_courses")
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["program", "course"], name="local_program_course_unique")]

    def __str__(self):
        return f"{self.program_id} #{self.position}: {self.course_id}"


class LmsEnrollment(models.Model):
    # No index of its own: the unique (user, course) answers by user (decision 0491: one index fewer to write).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    # Not indexed: nothing selects enrollments by mode alone, and a provider's progress import writes a million
    # enrollments (decision 0526: the two indexes a SlugField brings on PostgreSQL, two fewer to write a row).
    mode = models.SlugField(max_length=100, db_index=False)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("LMS enrollment")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="local_enrollment_unique")]
        indexes = [models.Index(fields=["modified"], name="local_enrollment_modified")]

    def __str__(self):
        return f"{self.user_id} in {self.course_id} ({self.mode})"


class Certificate(models.Model):
    # No index of its own: the unique (user, course) answers by user (decision 0491: one index fewer to write).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    grade = models.CharField(max_length=32, help_text=_("As issued, e.g. 0.92 or Pass."))
    issued_at = models.DateTimeField()
    modified = models.DateTimeField(auto_now=True, help_text=_("Last change (issued, regraded)."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="local_certificate_unique")]
        indexes = [models.Index(fields=["modified"], name="local_certificate_modified")]

    def __str__(self):
        return f"certificate {self.user_id} {self.course_id}"


class Grade(models.Model):
    # No index of its own: the unique (user, course) answers by user (decision 0491: one index fewer to write).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="grades")
    percent = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    passed_at = models.DateTimeField(null=True, blank=True, help_text=_("When the learner passed; empty if not."))
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="local_grade_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=1), name="local_grade_percent_range"
            ),
        ]
        indexes = [
            models.Index(fields=["modified"], name="local_grade_modified"),
            models.Index(fields=["passed_at"], name="local_grade_passed_at"),
        ]

    def __str__(self):
        return f"grade {self.user_id} {self.course_id}: {self.percent}"


class CourseFeedback(models.Model):
    """A learner's star rating (1 to 5) and optional comment on a course: one per (user, course)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("Stars, from 1 to 5.")
    )
    comment = models.TextField(blank=True, max_length=4000)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("course feedback")
        verbose_name_plural = _("course feedback")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="local_feedback_unique"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="local_feedback_rating_range"
            ),
        ]
        indexes = [models.Index(fields=["modified"], name="local_feedback_modified")]

    def __str__(self):
        return f"feedback {self.user_id} {self.course_id}: {self.rating}"


class SubsectionGrade(models.Model):
    """A learner's grade in one graded subsection (an assessment) of a course."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="subsection_grades")
    subsection_id = models.CharField(
        max_length=255, help_text=_("Stable id of the graded subsection, e.g. its usage key.")
    )
    title = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=0, help_text=_("Order of the subsection in the course."))
    percent = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "course", "position", "subsection_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "subsection_id"], name="local_subsection_grade_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=1), name="local_subsection_grade_percent_range"
            ),
            models.CheckConstraint(condition=~models.Q(subsection_id=""), name="local_subsection_grade_has_id"),
        ]
        indexes = [models.Index(fields=["modified"], name="local_subsection_grade_mod")]

    def __str__(self):
        return f"subsection grade {self.user_id} {self.course_id} {self.subsection_id}: {self.percent}"
