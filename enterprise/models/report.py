"""Daily report figures of a customer, rolled up for the portal's Reports dashboard (decision 0385).

Completions come from the LMS's completion backend and its rules (``enterprise.lms.completion``),
which may live in another service: the dashboard cannot group them in SQL where they are kept. A
refresh (``enterprise.portal.reports.refresh_reports``) walks the customer's enrollments once,
applies the same rules as the channels, and stores one row per (day, course); the dashboard then
sums a few thousand rows whatever the number of enrollments.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models.customer import EnterpriseCustomer


class ReportDay(models.Model):
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="report_days")
    day = models.DateField()
    course_id = models.CharField(max_length=255)
    enrolled = models.PositiveIntegerField(default=0, help_text=_("Enrollments made this day."))
    enrolled_completed = models.PositiveIntegerField(
        default=0, help_text=_("Of the enrollments made this day, those complete at the refresh.")
    )
    completed = models.PositiveIntegerField(default=0, help_text=_("Enrollments completed this day."))

    class Meta:
        verbose_name = _("report day")
        verbose_name_plural = _("report days")
        constraints = [
            # Also the index of the dashboard's range queries (customer, day between ...).
            models.UniqueConstraint(fields=["customer", "day", "course_id"], name="report_day_unique"),
            models.CheckConstraint(
                condition=models.Q(enrolled_completed__lte=models.F("enrolled")),
                name="report_day_completed_within_enrolled",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.day} {self.course_id}"


class ReportRefresh(models.Model):
    """When a customer's report figures were last refreshed, and over how many enrollments."""

    customer = models.OneToOneField(EnterpriseCustomer, on_delete=models.CASCADE, related_name="report_refresh")
    refreshed_at = models.DateTimeField()
    enrollments = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text=_("Enrollments in courses the catalog no longer has."))

    class Meta:
        verbose_name = _("report refresh")
        verbose_name_plural = _("report refreshes")

    def __str__(self):
        return f"{self.customer_id} at {self.refreshed_at:%Y-%m-%d %H:%M}"


class ReportFieldCount(models.Model):
    """A customer's linked learners with one value of a grouping learner field, at the last refresh:
    the dashboard's "learners by field" reads these few rows, not every learner (decision 0450)."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="report_field_counts")
    key = models.CharField(max_length=64)
    value = models.TextField(null=True, blank=True, help_text=_("Empty (null) for learners without a value."))
    learners = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report field count")
        verbose_name_plural = _("report field counts")
        indexes = [
            # The dashboard's read: one customer's key, most frequent values first.
            models.Index(fields=["customer", "key", "-learners"], name="report_field_count_top"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.key}={self.value!r}: {self.learners}"
