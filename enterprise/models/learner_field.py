"""A customer's own learner fields ("active fields"), beside the built-in ones declared in code.

Values live in ``EnterpriseCustomerUser.attributes`` under the field's ``key`` (imported
attributes already do). ``kind`` says where the values come from, which decides what "do not
import from source" means in a connection's mapping (the seed's manual csv fields):

- ``imported``: the field is filled by imports; "do not import" clears it from every learner;
- ``manual``: learners or admins fill it; "do not import" leaves their values intact.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.learner_fields import BUILT_IN_KEYS
from enterprise.models.base import TimeStampedModel


class LearnerField(TimeStampedModel):
    class Kind(models.TextChoices):
        IMPORTED = "imported", _("imported (from source files)")
        MANUAL = "manual", _("manual (kept by hand)")

    customer = models.ForeignKey(
        "enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="learner_fields"
    )
    key = models.SlugField(
        max_length=64, help_text=_("Name of the attribute in the learner's attributes (letters, digits, _ and -).")
    )
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMPORTED)

    class Meta:
        verbose_name = _("learner field")
        verbose_name_plural = _("learner fields")
        ordering = ["customer", "key"]
        constraints = [models.UniqueConstraint(fields=["customer", "key"], name="learner_field_key_unique")]

    def __str__(self):
        return f"{self.label} ({self.key})"

    def clean(self):
        super().clean()
        if self.key in BUILT_IN_KEYS:
            raise ValidationError({"key": _("%(key)s is a built-in learner field.") % {"key": self.key}})
