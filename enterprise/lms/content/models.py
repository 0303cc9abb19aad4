"""Provider courses, customers' catalogs, course tags and learners' progress at a provider (decision 0240)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from enterprise.lms.content import OPENEDX_KEY_NAMESPACES
from enterprise.lms.local.models import Course
from enterprise.models import EnterpriseCustomer


class ProviderCourse(models.Model):
    """A course a content provider offers, shown in the catalog through its local ``course``.

    ``(provider, provider_id)`` is unique: the seed's "unique LO id". A course the provider retired is
    marked ``retired`` (hidden from the pickers); it is never deleted, so its enrollments, progress and
    completions keep their course.
    """

    course = models.OneToOneField(Course, on_delete=models.PROTECT, related_name="provider_course")
    provider = models.SlugField(max_length=32, help_text=_("The provider's code, e.g. linkedin, getabstract, hmm."))
    provider_id = models.CharField(max_length=200, verbose_name=_("provider's id"))
    language = models.CharField(max_length=35, blank=True, help_text=_("BCP 47 tag, e.g. en or fr-FR."))
    library = models.CharField(max_length=100, blank=True, help_text=_("The provider's library, e.g. Lynda."))
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    launch_url = models.URLField(max_length=2048, blank=True)
    content_hash = models.CharField(max_length=64, editable=False, help_text=_("Of the fields last imported."))
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(help_text=_("The last import that listed this course."))
    retired = models.BooleanField(default=False, help_text=_("The provider no longer offers it."))
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "provider_id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_id"], name="content_provider_course_unique"),
            models.CheckConstraint(condition=~Q(provider_id=""), name="content_provider_id_given"),
            # Provider course ids never look like Open edX keys (decision 0390).
            models.CheckConstraint(
                condition=~Q(provider__in=OPENEDX_KEY_NAMESPACES), name="content_provider_not_openedx_namespace"
            ),
        ]
        indexes = [models.Index(fields=["provider", "last_seen"], name="content_course_last_seen")]

    def __str__(self):
        return f"{self.provider}:{self.provider_id}"


class Catalog(models.Model):
    """A named collection of a customer's courses, the seed's "Import Trainings to"."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="catalogs")
    name = models.CharField(max_length=100)
    courses = models.ManyToManyField(Course, through="CatalogCourse", related_name="catalogs")
    hidden = models.BooleanField(
        default=False,
        help_text=_(
            "Hidden from learners: set while an import that disables learner access runs, cleared when it ends."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint("customer", Lower("name"), name="content_catalog_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="content_catalog_named"),
        ]

    def __str__(self):
        return self.name


class CatalogCourse(models.Model):
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="entries")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="catalog_entries")
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["catalog", "course"], name="content_catalog_course_unique")]

    def __str__(self):
        return f"{self.catalog_id}: {self.course_id}"


class CourseTag(models.Model):
    """A tag of a course: the provider's own (``customer`` empty) or a customer's custom tag."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="tags")
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(
                "course", Lower("name"), condition=Q(customer__isnull=True), name="content_provider_tag_unique"
            ),
            models.UniqueConstraint(
                "course",
                "customer",
                Lower("name"),
                condition=Q(customer__isnull=False),
                name="content_custom_tag_unique",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="content_tag_named"),
        ]

    def __str__(self):
        return self.name


class ProviderProgress(models.Model):
    """What a learner did in a provider course, as the provider reported it (one row per learner and course).

    ``time_spent_seconds`` is empty when the provider does not report it (the seed: LinkedIn may not).
    Turned into the local LMS's grades and certificates by ``services.import_progress``.
    """

    # No index of its own: the unique (user, course) answers by user (decision 0491: one index fewer to write).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    course = models.ForeignKey(ProviderCourse, on_delete=models.PROTECT, related_name="progress")
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="+")
    first_activity = models.DateTimeField(null=True, blank=True)
    last_activity = models.DateTimeField(null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(null=True, blank=True)
    percent = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField()

    class Meta:
        verbose_name_plural = _("provider progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="content_progress_unique"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=1), name="content_progress_percent"
            ),
        ]
        # The completion interface's ``changed_since`` reads progress by ``modified``: a course in progress has no
        # grade row, its percent is read from here (decision 0560).
        indexes = [models.Index(fields=["modified"], name="content_progress_modified")]

    def __str__(self):
        return f"{self.user_id} in {self.course_id}"


class ImportedPage(models.Model):
    """A page or file of a provider's answers that a content run imported whole, by its fingerprint (decision 0455).

    ``key`` names the page within the customer's imports of ``what`` from ``provider`` ("asset page 3",
    "client_hmm12_20261130.csv"); ``fingerprint`` is the SHA-256 of its raw bytes and of what else shapes
    the import (the catalogs and custom tags of a course import). A later run that reads the same bytes
    under the same key skips the page before parsing or mapping it. ``course_ids``: the local courses a
    course page listed (checked to be there and counted as seen when it is skipped; decision 0490).
    """

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="+")
    provider = models.SlugField(max_length=32)
    what = models.CharField(max_length=16, help_text=_("courses or progress"))
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    unchanged = models.PositiveIntegerField(default=0, help_text=_("Records a skip counts as unchanged."))
    superseded = models.PositiveIntegerField(default=0, help_text=_("Records a skip counts as superseded."))
    course_ids = models.JSONField(default=list, blank=True)
    modified = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "provider", "what", "key"], name="content_imported_page_unique")
        ]

    def __str__(self):
        return f"{self.provider} {self.what}: {self.key}"
