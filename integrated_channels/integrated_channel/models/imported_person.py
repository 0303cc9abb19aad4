"""Who a connection's user import brought in, to find the leavers of a later run."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedPerson(models.Model):
    """A person (normalised e-mail) found in a connection's source, and the last run that found them.

    Kept only for connections that unlink leavers: after a run, the people of the connection whose
    ``last_run_id`` is not that run are no longer in the source and are unlinked (pending ones
    removed). Learners linked by other means (Manage Learners, another connection) are never
    touched. A plain id, not a foreign key, names the run: runs are not deleted with their
    connection, these rows are.
    """

    configuration = models.ForeignKey(
        "integrated_channel.ChannelConfiguration", on_delete=models.CASCADE, related_name="+"
    )
    email = models.CharField(max_length=254)
    last_run_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("imported person")
        verbose_name_plural = _("imported people")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "email"], name="imported_person_unique"),
        ]
        indexes = [models.Index(fields=["configuration", "last_run_id"], name="imported_person_run")]

    def __str__(self):
        return self.email
