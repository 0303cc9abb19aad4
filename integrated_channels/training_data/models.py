"""The Training Data Access connection and the public catalog's read model."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models import ChannelConfiguration


def parse_origins(text: str) -> list[str]:
    """The allow-listed origins, one a line: scheme://host[:port], nothing else (no path, no wildcard)."""
    origins, errors = [], []
    for line in (text or "").splitlines():
        value = line.strip()
        if not value:
            continue
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username
            or "*" in value
        ):
            errors.append(value)
            continue
        port = f":{parts.port}" if parts.port else ""
        origins.append(f"{parts.scheme}://{parts.hostname}{port}")
    if errors:
        raise ValidationError(
            _("Not an origin (scheme://host[:port], no path nor wildcard): %(values)s"),
            params={"values": ", ".join(errors)},
        )
    return origins


class TrainingDataAccessConfiguration(ChannelConfiguration):
    CHANNEL_CODE = "TRAINING_DATA"

    class Interface(models.TextChoices):
        NATIVE = "native", _("Native (the catalog pages are ours)")
        HEADLESS = "headless", _("Headless (the site renders the API)")

    allowed_origins = models.TextField(
        blank=True,
        validators=[parse_origins],
        help_text=_(
            "One origin a line, e.g. https://learn.example.com: only these may read the catalog from a browser."
        ),
    )
    interface_type = models.CharField(max_length=16, choices=Interface.choices, default=Interface.HEADLESS)
    cdn_base_url = models.URLField(
        blank=True, help_text=_("Base URL images are served under, e.g. https://cdn.example.com/catalog/.")
    )

    class Meta:
        app_label = "training_data"
        verbose_name = _("Training Data Access connection")

    def origins(self) -> list[str]:
        return parse_origins(self.allowed_origins)

    def secrets(self) -> list[str]:
        return []


class CatalogEntry(models.Model):
    """One course or program of a customer's public catalog, denormalised for reading (no learner data)."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        PROGRAM = "program", _("Program")

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    content_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    skills = models.JSONField(default=list, blank=True)
    duration_hours = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    language = models.CharField(max_length=16, blank=True, db_index=True)
    pacing = models.CharField(max_length=16, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    price_amount = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True)
    image_url = models.URLField(max_length=1000, blank=True, help_text=_("The image's copy under the CDN URL."))
    buy_url = models.URLField(
        max_length=1000, blank=True, help_text=_("The store's product page (Adobe Commerce), once exported there.")
    )
    instructors = models.JSONField(default=list, blank=True, help_text=_("Display names, no contact."))
    #: upcoming virtual-classroom sessions: start, end, time zone, seats, seats left, waitlisted
    sessions = models.JSONField(default=list, blank=True)
    course_ids = models.JSONField(default=list, blank=True, help_text=_("A program's courses, in order."))
    #: what full-text search reads: title, description and skills in one text
    document = models.TextField(blank=True)
    built_at = models.DateTimeField()
    #: 1, 2, … in the listing's order (title, content id), set by the build: a page of the unfiltered
    #: listing is a range of it, whatever its depth (decision 0460)
    position = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        app_label = "training_data"
        ordering = ["title", "content_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "content_id"], name="training_data_entry_unique"),
            models.CheckConstraint(
                condition=models.Q(price_amount__isnull=True) | models.Q(price_amount__gt=0),
                name="training_data_price_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "title", "content_id"], name="training_data_list"),
            models.Index(fields=["customer", "kind", "title"], name="training_data_kind"),
            models.Index(fields=["customer", "built_at"], name="training_data_built"),
            models.Index(fields=["customer", "position"], name="training_data_position"),
        ]

    def __str__(self):
        return f"{self.kind} {self.content_id}"


class SkillFacet(models.Model):
    """One skill of one entry, for the skill filter and facet (a JSON list cannot be indexed portably)."""

    entry = models.ForeignKey(CatalogEntry, on_delete=models.CASCADE, related_name="skill_rows")
    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)

    class Meta:
        app_label = "training_data"
        indexes = [models.Index(fields=["customer", "name"], name="training_data_skill")]

    def __str__(self):
        return self.name


class CatalogSummary(models.Model):
    """What the unfiltered listing shows besides its page, stored by the build: the number of entries and
    the facets (decision 0460). Its ``built_at`` is the read model's version (the ETag's)."""

    customer = models.OneToOneField(
        "enterprise.EnterpriseCustomer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    built_at = models.DateTimeField()
    count = models.PositiveIntegerField()
    #: {"kind": [{"value", "count"}, …], "language": […], "skill": […]}, as the API serves them
    facets = models.JSONField(default=dict)

    class Meta:
        app_label = "training_data"

    def __str__(self):
        return f"{self.count} entries built {self.built_at:%Y-%m-%d %H:%M}"


class CatalogTermSummary(models.Model):
    """A one-word search's number of entries and facets, stored by the build for every word of the read
    model found in at least ``services.TERM_SUMMARY_MIN`` entries (PostgreSQL: the words of the stored
    ``search_vector``, decision 0511): the searches that match many entries then read one row instead of
    every match. Rarer words, several words and other filters are counted when asked."""

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    #: the word as the search vector holds it (PostgreSQL's 'simple' configuration: lower case)
    term = models.CharField(max_length=255)
    count = models.PositiveIntegerField()
    #: as ``CatalogSummary.facets``
    facets = models.JSONField(default=dict)

    class Meta:
        app_label = "training_data"
        constraints = [models.UniqueConstraint(fields=["customer", "term"], name="training_data_term_unique")]

    def __str__(self):
        return f"{self.term}: {self.count} entries"
