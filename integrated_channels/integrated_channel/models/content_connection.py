"""The fields every content-provider connection shares (LinkedIn Learning, getAbstract, Harvard ManageMentor).

An abstract model, like ``SFTPConnection``: the seed's "Import Trainings to" (the customer's catalogs the
courses go into), "Import tags" (custom tags on everything the connection imports) and the on-demand
option "Disable / Enable access to Learning Manager during execution" (decision 0243).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


def split_names(text: str) -> list[str]:
    """Names separated by commas or line breaks, stripped, the first spelling of each (case-insensitive) kept."""
    seen: dict[str, str] = {}
    for part in (text or "").replace("\n", ",").split(","):
        if part.strip():
            seen.setdefault(part.strip().casefold(), part.strip())
    return list(seen.values())


class ContentConnection(models.Model):
    class LearnerAccess(models.TextChoices):
        KEEP = "keep", _("Enable access during execution (the courses stay visible)")
        DISABLE = "disable", _("Disable access during execution (the courses are hidden until the run ends)")

    catalogs = models.TextField(
        blank=True,
        verbose_name=_("import trainings to"),
        help_text=_(
            "The customer's catalogs the imported courses are added to, separated by commas (created when "
            "missing), e.g. Leadership, Technology."
        ),
    )
    custom_tags = models.TextField(
        blank=True,
        verbose_name=_("custom tags"),
        help_text=_("Tags added to every course this connection imports, separated by commas."),
    )
    learner_access = models.CharField(
        max_length=16,
        choices=LearnerAccess.choices,
        default=LearnerAccess.KEEP,
        verbose_name=_("learner access during execution"),
        help_text=_(
            "Disable: while a course import runs, the courses of its catalogs are hidden from learners (not "
            "offered in the pickers), and shown again when it ends, whatever its outcome."
        ),
    )

    class Meta:
        abstract = True

    def catalog_names(self) -> list[str]:
        return split_names(self.catalogs)

    def custom_tag_names(self) -> list[str]:
        return split_names(self.custom_tags)
