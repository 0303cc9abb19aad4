"""Enterprise enrollments of linked learners, and enrollments waiting for a pending learner."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.currencies import CURRENCIES
from enterprise.models.base import TimeStampedModel
from enterprise.models.learner import EnterpriseCustomerUser, PendingEnterpriseCustomerUser


class EnrollmentSource(models.TextChoices):
    MANUAL = "manual", _("Manual (admin)")
    API = "api", _("REST API")
    IMPORT = "import", _("Connector import")
    PENDING = "pending", _("Pending enrollment materialised at registration")


class StartedBy(models.TextChoices):
    """Who started an enrollment (decision 0401): the learner themselves, or someone for them."""

    LEARNER = "learner", _("The learner (self-enrollment)")
    ADMIN = "admin", _("An administrator")
    API = "api", _("An API client")
    CONNECTOR = "connector", _("A connector")


#: Who started an enrollment made through each source, unless the path says otherwise (a purchase or a
#: learner's own progress at a provider is the learner's; the self-enrollment API is the learner's).
STARTED_BY_OF_SOURCE = {
    EnrollmentSource.MANUAL: StartedBy.ADMIN,
    EnrollmentSource.API: StartedBy.API,
    EnrollmentSource.IMPORT: StartedBy.CONNECTOR,
    EnrollmentSource.PENDING: StartedBy.ADMIN,
}


def started_by_of(source: str, started_by: str = "") -> str:
    return started_by or STARTED_BY_OF_SOURCE.get(source, StartedBy.ADMIN)


def _started_by_field():
    return models.CharField(
        max_length=16,
        choices=StartedBy.choices,
        default=StartedBy.ADMIN,
        verbose_name=_("started by"),
        help_text=_(
            "Who started the enrollment: the learner themselves (self-enrollment: the self-enrollment API, a "
            "purchase, their own progress at a provider) or an administrator, an API client or a connector."
        ),
    )


def _started_by_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(started_by__in=StartedBy.values), name=name)


class Purchase(models.Model):
    """What a learner paid for the enrollment, when a store's order made it (the seed: price and date of
    purchase in learner transcripts and the training report). Set by a purchase import only; for a
    program bought whole, each of its courses' enrollments carries the program's purchase."""

    paid_amount = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True, editable=False, help_text=_("The price paid.")
    )
    paid_currency = models.CharField(max_length=3, blank=True, editable=False, help_text=_("ISO 4217 code."))
    purchased_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the order that made this enrollment was placed.")
    )

    class Meta:
        abstract = True

    @staticmethod
    def purchase_constraint(name: str) -> models.CheckConstraint:
        """All three purchase fields or none; a positive amount in an ISO 4217 currency."""
        return models.CheckConstraint(
            condition=models.Q(paid_amount__isnull=True, paid_currency="", purchased_at__isnull=True)
            | models.Q(paid_amount__gt=0, paid_currency__in=sorted(CURRENCIES), purchased_at__isnull=False),
            name=name,
        )


class EnterpriseCourseEnrollmentQuerySet(models.QuerySet):
    def enrolled(self):
        """Enrollments in force (not unenrolled)."""
        return self.filter(unenrolled_at__isnull=True)

    def unenrolled(self):
        return self.filter(unenrolled_at__isnull=False)


class EnterpriseCourseEnrollment(TimeStampedModel, Purchase):
    """A linked learner's enrollment in a course, made through this app.

    Unenrolling is soft: the row stays with ``unenrolled_at`` set, so channels can tell the remote
    system (LearningStudio drops the learner once) and the history is kept. One row per (learner,
    course): enrolling again revives it (``unenrolled_at`` back to null).
    """

    # No index of its own: the unique (learner, course_id) answers by learner, the cascade of a learner's deletion
    # included (decision 0561: one index entry fewer per enrollment written, e.g. by a provider progress import).
    learner = models.ForeignKey(
        EnterpriseCustomerUser, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=100)
    source = models.CharField(max_length=16, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL)
    started_by = _started_by_field()
    program_id = models.CharField(
        max_length=255, blank=True, help_text=_("The program this enrollment was made for, if any.")
    )

    class Role(models.TextChoices):
        DEFAULT = "", _("the learner's role (default)")
        STUDENT = "student", _("student")
        PROFESSOR = "professor", _("professor")
        TEACHING_ASSISTANT = "teaching_assistant", _("teaching assistant")

    role = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=Role.choices,
        help_text=_(
            "The learner's role in this course, for channels that send roles (LearningStudio): a learner may teach "
            "one course and study another. Empty: the learner's own role attribute."
        ),
    )
    unenrolled_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name=_("unenrolled at"),
        help_text=_("Set when the learner was unenrolled; empty while the enrollment is in force."),
    )

    objects = EnterpriseCourseEnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise course enrollment")
        verbose_name_plural = _("enterprise course enrollments")
        constraints = [
            models.UniqueConstraint(fields=["learner", "course_id"], name="ece_unique_learner_course"),
            _started_by_constraint("ece_started_by_valid"),
            Purchase.purchase_constraint("ece_purchase_complete"),
        ]
        indexes = [models.Index(fields=["course_id"], name="ece_course_id")]

    def __str__(self):
        state = ", unenrolled" if self.unenrolled_at else ""
        return f"{self.learner_id} in {self.course_id} ({self.mode}{state})"

    @property
    def enrolled(self) -> bool:
        return self.unenrolled_at is None


class PendingEnrollment(TimeStampedModel, Purchase):
    """An enrollment to make once the pending learner registers."""

    pending_learner = models.ForeignKey(
        PendingEnterpriseCustomerUser, on_delete=models.CASCADE, related_name="pending_enrollments"
    )
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=100)
    source = models.CharField(max_length=16, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL)
    started_by = _started_by_field()
    program_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("pending enrollment")
        verbose_name_plural = _("pending enrollments")
        constraints = [
            models.UniqueConstraint(fields=["pending_learner", "course_id"], name="pending_enrollment_unique_course"),
            _started_by_constraint("pending_enrollment_started_by_valid"),
            Purchase.purchase_constraint("pending_enrollment_purchase_complete"),
        ]

    def __str__(self):
        return f"{self.pending_learner_id} → {self.course_id} ({self.mode})"
