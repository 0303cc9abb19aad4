"""Runs: one row per execution of an operation of one connection, with its counts and errors.

A run's ``kind`` is the code of the operation it ran, declared by its channel in the registry (no
list of kinds here: a new connector adds its own). Runs outlive their connection (decision 0172):
``configuration`` becomes empty when the connection is deleted, and ``customer``, ``channel`` and
``connection_name`` (copied when the run starts) keep telling whose run it was; a connection
created again with the same (customer, channel, name) shows those runs again.

At most one run per (configuration, kind) is ``running`` — a partial unique index, so two
processes cannot both start one. A running run renews ``heartbeat_at`` while it works; one whose
heartbeat is older than ``RUN_LOCK_EXPIRY`` was abandoned (its process died) and the next run
marks it failed and takes over (decision 0022). The lock therefore never outlives its holder by
more than the expiry, and never needs cleaning by hand.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enterprise import redaction
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer
from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration
from integrated_channels.integrated_channel.registry import LEARNER_DATA, registry


class RunQuerySet(models.QuerySet):
    def of_connection(self, configuration) -> RunQuerySet:
        """The runs of ``configuration``'s (customer, channel, name): its own, and those of a deleted
        connection of the same name."""
        return self.filter(
            customer_id=configuration.customer_id, channel=configuration.channel, connection_name=configuration.name
        )


class Run(models.Model):
    class Trigger(models.TextChoices):
        COMMAND = "command", _("Management command")
        SCHEDULE = "schedule", _("Schedule")
        ADMIN = "admin", _("On demand (admin)")
        API = "api", _("On demand (API)")
        PORTAL = "portal", _("On demand (portal)")

    class Status(models.TextChoices):
        RUNNING = "running", _("In progress")
        COMPLETED = "completed", _("Completed")
        COMPLETED_WITH_ERRORS = "completed_with_errors", _("Completed with errors")
        FAILED = "failed", _("Failed")

    configuration = models.ForeignKey(
        ChannelConfiguration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text=_("Empty once the connection was deleted (its runs are kept)."),
    )
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="channel_runs")
    channel = models.CharField(max_length=32)
    connection_name = models.CharField(
        max_length=100, default=ChannelConfiguration.DEFAULT_NAME, help_text=_("The connection's name when it ran.")
    )
    kind = models.CharField(
        max_length=32, default=LEARNER_DATA, verbose_name=_("operation"), help_text=_("The operation's code.")
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.COMMAND)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False, help_text=_("Selected and formatted, nothing sent."))
    api_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start_date = models.DateTimeField(
        null=True, blank=True, help_text=_("Only records completed on or after this date were considered.")
    )
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    selected = models.PositiveIntegerField(default=0, help_text=_("Records considered."))
    sent = models.PositiveIntegerField(default=0, help_text=_("Records accepted by the remote system."))
    skipped = models.PositiveIntegerField(default=0, help_text=_("Records not sent, for the reasons listed."))
    failed = models.PositiveIntegerField(default=0, help_text=_("Records refused or not delivered."))
    not_attempted = models.PositiveIntegerField(default=0, help_text=_("Records left unsent when the run stopped."))
    skip_reasons = models.JSONField(default=dict, blank=True)
    remote_calls = models.PositiveIntegerField(default=0, help_text=_("HTTP calls made, token calls included."))
    learners_unlinked = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True, help_text=_("Why the run failed, when it did."))
    # Change tracking of learner data (decision 0090)
    changes_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Incremental selection: only enrollments whose inputs changed since this moment (and failed records) "
            "were considered. Empty: every enrollment was (a full selection)."
        ),
    )
    full_selection_reason = models.CharField(max_length=64, blank=True, help_text=_("Why the selection was full."))
    watermark = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Set when the run succeeded: every change before this moment is reflected in the audit, so the next "
            "run may consider only what changed since."
        ),
    )

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel run")
        verbose_name_plural = _("channel runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "kind"],
                condition=Q(status="running"),
                name="run_one_running_per_configuration",
                violation_error_message=_("A run of this configuration is already in progress."),
            ),
            models.CheckConstraint(
                condition=Q(status="running")
                | (
                    Q(finished_at__isnull=False)
                    & Q(selected=F("sent") + F("skipped") + F("failed") + F("not_attempted"))
                ),
                name="run_finished_counts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-started_at"], name="run_customer_started"),
            models.Index(
                fields=["customer", "channel", "connection_name", "kind", "-started_at"], name="run_connection_kind"
            ),
            models.Index(fields=["status", "-started_at"], name="run_status_started"),
            models.Index(
                fields=["configuration", "kind", "-started_at"],
                condition=Q(watermark__isnull=False),
                name="run_watermark",
            ),
        ]

    def __str__(self):
        return f"{self.channel} run #{self.pk} ({self.get_status_display()})"

    @property
    def kind_label(self) -> str:
        """The operation's name, from the registry (its code when no installed channel declares it)."""
        return registry.kind_label(self.kind, self.channel)

    def get_kind_display(self) -> str:
        return self.kind_label

    def channel_name(self) -> str:
        try:
            return registry.get(self.channel).name
        except LookupError:
            return self.channel

    @property
    def connection_deleted(self) -> bool:
        return self.configuration_id is None

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def is_failure(self) -> bool:
        return self.status == self.Status.FAILED


def redactor_of(run: Run) -> redaction.Redactor:
    """The redactor of ``run``'s configuration (its secrets, and the tokens its client added).

    ``start_run`` and the transmission attach it to the run; a run loaded from the database gets
    it here, in one query. Every message stored on a run or its error lines goes through it: the
    last line of defence behind the transports' own redaction (decision 0150).
    """
    redactor = getattr(run, "_redactor", None)
    if redactor is None:
        try:
            model = registry.get(run.channel).get_configuration_model()
            configuration = model.objects.filter(pk=run.configuration_id).first()
        except LookupError:
            configuration = None
        redactor = redaction.for_configuration(configuration) if configuration is not None else redaction.Redactor()
        run._redactor = redactor
    return redactor


NUL = "\x00"
_TEXT_FIELDS = ("username", "email", "remote_id", "course_id", "code", "message")


def _without_nul(error: RunError) -> RunError:
    """Show a NUL character of a remote message or an imported cell as ``\\x00``: PostgreSQL text
    cannot hold one, and the error line must be stored whatever the remote sent. The message is
    redacted with the run's secrets."""
    if error.message and error.run_id is not None:
        error.message = redactor_of(error.run)(error.message)
    for name in _TEXT_FIELDS:
        value = getattr(error, name)
        if isinstance(value, str) and NUL in value:
            setattr(error, name, value.replace(NUL, "\\x00"))
    return error


class RunErrorQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        return super().bulk_create([_without_nul(obj) for obj in objs], *args, **kwargs)


class RunError(models.Model):
    """One line of a run's error report: a record that failed, was not attempted, or the run itself.

    Skipped records are counted on the run (``skip_reasons``), not listed: they recur at every run.
    """

    class Outcome(models.TextChoices):
        FAILED = "failed", _("Failed")
        NOT_ATTEMPTED = "not_attempted", _("Not attempted")
        RUN = "run", _("Run failed")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="errors")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    enrollment = models.ForeignKey(
        EnterpriseCourseEnrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    email = models.CharField(max_length=254, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    course_id = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    transient = models.BooleanField(default=False, help_text=_("A later run may succeed."))
    learner_unlinked = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = RunErrorQuerySet.as_manager()

    class Meta:
        verbose_name = _("run error")
        verbose_name_plural = _("run errors")
        ordering = ["run", "id"]

    def __str__(self):
        return f"run {self.run_id}: {self.outcome} {self.username} {self.course_id}"

    def save(self, *args, **kwargs):
        _without_nul(self)
        super().save(*args, **kwargs)
